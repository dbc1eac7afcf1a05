import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cleanups, startTestGateway, type TestGateway } from "./gateway-harness.js";
import { TINY_LLAMA, startRealNeuron, type RealNeuron } from "./real-neuron.js";

/**
 * Three agent sessions through the gateway on one real neuron with two sequences: after every session's
 * first turn at most two conversations are still in a sequence, so a returning session that gets all of
 * its conversation back from the neuron got at least one of them from the KV state tier.
 */
const NEURON_CONFIG = [
  "context_size = 2048",
  "parallel = 2",
  "threads = 1",
  "batch_threads = 1",
  "[kv_cache]",
  'ram = "64MiB"',
  'disk = "0"',
  "min_tokens = 64",
  // Restore whenever the tier holds the prefix: what is under test is that a returning session is served
  // from the tier, not whether a restore beats the tiny model's prefill on a busy machine.
  'restore = "always"',
].join("\n");
const MODEL = "agent";

const cleanups = new Cleanups();
let neuron: RealNeuron;
let gateway: TestGateway;

beforeAll(async () => {
  neuron = await startRealNeuron({ name: "alpha", models: { [MODEL]: TINY_LLAMA }, config: NEURON_CONFIG });
  cleanups.add(() => neuron.stop());
  gateway = await startTestGateway({ neurons: [{ name: "alpha", url: neuron.url }] });
  cleanups.add(() => gateway.close());
}, 120_000);

afterAll(() => cleanups.run());

type Message = { role: "user" | "assistant"; content: string };

/** A session's conversation after `turn` turns: its own opening of a few hundred tokens, then short turns. */
function conversation(topic: string, turn: number): Message[] {
  const messages: Message[] = [
    { role: "user", content: `${topic}: ${`tell me about ${topic} and its history `.repeat(40)}` },
  ];
  for (let past = 1; past < turn; past++) {
    messages.push(
      { role: "assistant", content: "It is long." },
      { role: "user", content: `Go on (${past}).` },
    );
  }
  return messages;
}

/** Prompt tokens and the ones reused, as each dialect reports them. */
interface PromptUsage {
  total: number;
  cached: number;
  /** Anthropic only: `input_tokens` (what was evaluated). */
  input?: number;
}

async function openaiTurn(topic: string, turn: number, stream: boolean): Promise<PromptUsage> {
  const client = gateway.openai();
  const messages = conversation(topic, turn);
  if (!stream) {
    const completion = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 2 });
    return {
      total: completion.usage?.prompt_tokens ?? 0,
      cached: completion.usage?.prompt_tokens_details?.cached_tokens ?? 0,
    };
  }
  const chunks = await client.chat.completions.create({
    model: MODEL,
    messages,
    max_tokens: 2,
    stream: true,
    stream_options: { include_usage: true },
  });
  let usage: PromptUsage = { total: 0, cached: 0 };
  for await (const chunk of chunks) {
    if (chunk.usage) {
      usage = {
        total: chunk.usage.prompt_tokens,
        cached: chunk.usage.prompt_tokens_details?.cached_tokens ?? 0,
      };
    }
  }
  return usage;
}

async function anthropicTurn(topic: string, turn: number): Promise<PromptUsage> {
  const message = await gateway
    .anthropic()
    .messages.create({ model: MODEL, max_tokens: 2, messages: conversation(topic, turn) });
  const cached = message.usage.cache_read_input_tokens ?? 0;
  return { total: message.usage.input_tokens + cached, cached, input: message.usage.input_tokens };
}

const SESSIONS = [
  { topic: "rivers", turn: (turn: number) => openaiTurn("rivers", turn, true) },
  { topic: "deserts", turn: (turn: number) => openaiTurn("deserts", turn, false) },
  { topic: "glaciers", turn: (turn: number) => anthropicTurn("glaciers", turn) },
] as const;

describe("agent sessions through the gateway, more of them than the neuron has sequences", () => {
  it("a returning session gets its whole conversation back, from the KV tier when its sequence was taken", async () => {
    const hits = () => neuron.metric("cortex_neuron_kv_cache_lookups_total", { model: MODEL, result: "hit" });
    const restores = () => neuron.metric("cortex_neuron_kv_cache_restore_seconds_count", { from: "ram" });

    const first = await Promise.all(SESSIONS.map((session) => session.turn(1)));
    // Nothing saved yet that any opening starts with.
    expect(await hits()).toBe(0);
    for (const usage of first) expect(usage.total).toBeGreaterThan(300);

    const second = await Promise.all(SESSIONS.map((session) => session.turn(2)));
    second.forEach((usage, index) => {
      const before = first[index]?.total ?? 0;
      // All of the first turn is reused (a few template tokens at its end render differently), and
      // what is evaluated is the new turn: cached + evaluated = the prompt in every dialect.
      expect(usage.cached, SESSIONS[index]?.topic).toBeGreaterThanOrEqual(before - 8);
      expect(usage.total - usage.cached, SESSIONS[index]?.topic).toBeLessThan(40);
    });
    // Anthropic: `input_tokens` is what was evaluated, `cache_read_input_tokens` what was reused.
    expect(second[2]?.input).toBe((second[2]?.total ?? 0) - (second[2]?.cached ?? 0));
    expect(second[2]?.input).toBeGreaterThan(0);
    // Two sequences held at most two of the three conversations: the tier served the others.
    expect(await hits()).toBeGreaterThanOrEqual(1);
    expect(await restores()).toBe(await hits());
    const listed = await neuron.model(MODEL);
    expect(listed?.kv_cache?.hits).toBe(await hits());
  });
});
