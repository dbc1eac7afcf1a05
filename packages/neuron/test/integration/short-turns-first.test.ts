import { decodeOpenAIChatRequest, prefixFingerprints } from "@cortex/core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestNeuron, type TestNeuron } from "./neuron-harness.js";

/**
 * One sequence, a KV tier in RAM: a short request arriving while a long prompt is being evaluated gets
 * the sequence between two batches and is answered first; the long one resumes from the state the tier
 * kept of what it had evaluated, and answers exactly what it answers alone (real node-llama-cpp model).
 */
const CONFIG = [
  "context_size = 8192",
  "parallel = 1",
  "threads = 1",
  "batch_threads = 1",
  "[kv_cache]",
  'ram = "256MiB"',
  'disk = "0"',
  "min_tokens = 64",
  'restore = "always"',
  "",
].join("\n");

const LONG = [
  { role: "user" as const, content: `archive: ${"the ledger lists every shipment twice ".repeat(550)}` },
];
const SHORT = [{ role: "user" as const, content: "Say hello." }];
/** Other long prompts, cold when they come (the first one is held by then). */
const LONG_COLD = [
  { role: "user" as const, content: `inventory: ${"each crate holds nine lanterns and a map ".repeat(500)}` },
];
const LONG_ABORTED = [
  { role: "user" as const, content: `minutes: ${"the council voted to repair the old bridge ".repeat(350)}` },
];

/** Streams `messages` until the neuron opens the stream; `leave()` is the client going away. */
async function leavable(
  neuron: TestNeuron,
  messages: typeof LONG,
): Promise<{ response: Response; leave: () => Promise<void> }> {
  const client = new AbortController();
  const response = await fetch(`${neuron.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "llama", messages, max_tokens: 8, stream: true }),
    signal: client.signal,
  });
  const body = response.text().catch(() => "");
  return {
    response,
    leave: async () => {
      client.abort();
      await body;
    },
  };
}

/** Waits until the neuron holds no request of the model; returns the prefixes it then reports. */
async function idlePrefixes(neuron: TestNeuron): Promise<readonly { fp: string; where: string }[]> {
  await vi.waitFor(
    async () => {
      const model = (await neuron.models()).models.find((entry) => entry.id === "llama");
      expect([model?.in_flight, model?.queued]).toEqual([0, 0]);
    },
    { timeout: 30_000, interval: 50 },
  );
  const model = (await neuron.models()).models.find((entry) => entry.id === "llama");
  return model?.prefixes?.prefixes ?? [];
}

/** The fingerprint a node reports for holding this conversation. */
function lastFingerprint(messages: typeof LONG): string | undefined {
  return prefixFingerprints(decodeOpenAIChatRequest({ model: "llama", messages }).value).at(-1);
}

interface Answer {
  text: string;
  prompt: number;
  cached: number;
}

async function ask(neuron: TestNeuron, messages: typeof LONG): Promise<Answer> {
  const completion = await neuron.openai.chat.completions.create({ model: "llama", messages, max_tokens: 8 });
  return {
    text: completion.choices[0]?.message.content ?? "",
    prompt: completion.usage?.prompt_tokens ?? 0,
    cached: completion.usage?.prompt_tokens_details?.cached_tokens ?? 0,
  };
}

/** Streams `messages`; resolves `started` when the neuron opened the stream (the prompt is being evaluated). */
function streamed(
  neuron: TestNeuron,
  messages: typeof LONG,
): { started: Promise<void>; done: Promise<string> } {
  let opened: () => void = () => {};
  const started = new Promise<void>((resolve) => (opened = resolve));
  const done = (async () => {
    const response = await neuron.post("/v1/chat/completions", {
      model: "llama",
      messages,
      max_tokens: 8,
      stream: true,
    });
    opened();
    let text = "";
    const body = await response.text();
    for (const line of body.split("\n")) {
      if (!line.startsWith("data: {")) continue;
      const chunk = JSON.parse(line.slice(6)) as { choices?: { delta?: { content?: string } }[] };
      text += chunk.choices?.[0]?.delta?.content ?? "";
    }
    return text;
  })();
  return { started, done };
}

describe("short requests first on a busy sequence", () => {
  let neuron: TestNeuron;
  /** The same model without the tier: what the long prompt answers evaluated in one go. */
  let plain: TestNeuron;
  beforeAll(async () => {
    [neuron, plain] = await Promise.all([
      startTestNeuron({ models: { llama: { arch: "llama", quant: "f16" } }, config: CONFIG }),
      startTestNeuron({
        models: { llama: { arch: "llama", quant: "f16" } },
        config: "context_size = 8192\nparallel = 1\nthreads = 1\nbatch_threads = 1\n",
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([neuron?.stop(), plain?.stop()]);
  });

  it("answers a short request that arrives during a long prompt's evaluation first, and the long one unchanged", async () => {
    const alone = await ask(plain, LONG);
    expect(alone.prompt).toBeGreaterThan(5000);

    const finished: string[] = [];
    const long = streamed(neuron, LONG);
    const longText = long.done.then((text) => {
      finished.push("long");
      return text;
    });
    await long.started;
    const short = ask(neuron, SHORT).then((answer) => {
      finished.push("short");
      return answer;
    });

    expect(await longText).toBe(alone.text);
    expect((await short).prompt).toBeLessThan(100);
    expect(finished).toEqual(["short", "long"]);
    // The long prompt's evaluation was saved when it yielded and restored when it resumed.
    expect(
      await neuron.metric("cortex_neuron_kv_cache_lookups_total", { model: "llama", result: "hit" }),
    ).toBeGreaterThanOrEqual(1);
  });

  it("frees everything when a long request's client leaves while it waits to resume", async () => {
    const long = await leavable(neuron, LONG_COLD);
    expect(long.response.status).toBe(200);
    // The short request's stream opens once it holds the only sequence: the long one gave it up and
    // waits in the queue to resume.
    const short = await neuron.post("/v1/chat/completions", {
      model: "llama",
      messages: SHORT,
      max_tokens: 32,
      stream: true,
    });
    expect(short.status).toBe(200);
    await long.leave();
    expect(await short.text()).toContain("[DONE]");
    // The short request's conversation is what the sequence holds (the one that left holds nothing).
    const shortFp = lastFingerprint(SHORT);
    const held = await idlePrefixes(neuron);
    expect(held.filter((item) => item.fp === shortFp && item.where === "sequence")).toHaveLength(1);
    // The sequence is free again: requests are answered one after another.
    expect((await ask(neuron, SHORT)).prompt).toBeLessThan(100);
    expect((await ask(neuron, SHORT)).prompt).toBeLessThan(100);
  });

  it("does not report a conversation whose prompt evaluation was cut short as held", async () => {
    // The stream opens when the prompt's evaluation starts; the client leaves during it.
    const long = await leavable(neuron, LONG_ABORTED);
    expect(long.response.status).toBe(200);
    await long.leave();
    // The sequence holds part of the prompt at most: a gateway must not take the node for its holder.
    const last = lastFingerprint(LONG_ABORTED);
    expect((await idlePrefixes(neuron)).filter((item) => item.fp === last)).toEqual([]);
  });
});
