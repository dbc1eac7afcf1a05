import { readFile } from "node:fs/promises";
import type { SseMessage, SpawnedProcess } from "@cortex/core";
import { fixtureModel, getFakeStats, spawnFakeNeuron } from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Cleanups,
  MiB,
  okJson,
  sseReader,
  startTestGateway,
  waitFor,
  type TestGateway,
} from "./gateway-harness.js";
import { TINY_LLAMA, startRealNeuron, type RealNeuron } from "./real-neuron.js";

/**
 * The fault suite (issue 11): real neuron processes on loopback, crashed and restarted under a gateway
 * with requests in flight. Every client must get an answer or its dialect's error, never a hang.
 */
const cleanups = new Cleanups();
afterAll(() => cleanups.run());

/** Replies that run to max_tokens: a long one keeps a stream going for many seconds on the tiny model. */
const LONG = 6_000;
/** How often the scheduler re-plans a refused load per request (routing/scheduler.ts): bounded, no loop. */
const MAX_PLACEMENT_ATTEMPTS = 3;
const messages = [{ role: "user" as const, content: "Tell me a long story." }];

const openAIContent = (message: SseMessage): boolean =>
  message.data !== "[DONE]" &&
  ((JSON.parse(message.data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta
    ?.content ?? "") !== "";
const anthropicText = (message: SseMessage): boolean => message.event === "content_block_delta";

/** [name, state] of every node, as the gateway sees them. */
async function nodeStates(gateway: TestGateway): Promise<[string, string][]> {
  const fleet = (await okJson(await gateway.get("/admin/fleet"))) as {
    nodes: { name: string; state: string }[];
  };
  return fleet.nodes.map((node) => [node.name, node.state]);
}

describe("a neuron crashes under load", () => {
  let x: RealNeuron;
  let y: RealNeuron;
  let gw: TestGateway;

  beforeAll(async () => {
    [x, y] = await Promise.all([
      startRealNeuron({
        name: "x",
        models: { shared: TINY_LLAMA, "only-x": { ...TINY_LLAMA, seed: 2 } },
        config: "context_size = 8192\nparallel = 2\nthreads = 1",
      }),
      startRealNeuron({
        name: "y",
        models: { shared: TINY_LLAMA },
        config: "context_size = 8192\nparallel = 1\nthreads = 1",
      }),
    ]);
    cleanups.add(() => x.stop());
    cleanups.add(() => y.stop());
    gw = await startTestGateway({
      neurons: [
        { name: "x", url: x.url },
        { name: "y", url: y.url },
      ],
      fleet: { down_after: 1 },
    });
    cleanups.add(() => gw.close());
    await waitFor("both nodes up", async () => (await nodeStates(gw)).every(([, state]) => state === "up"));
    await okJson(await gw.post("/admin/models/load", { model: "shared", node: "x" }));
  }, 120_000);

  it("SIGKILLed with two streams running and a request queued: each stream gets its dialect's error event within 1 s, the queued request (no byte sent yet) is served by another node", async () => {
    // Two long streams fill x's two sequences (shared is loaded only on x, so both go there).
    const openai = await gw.post("/v1/chat/completions", {
      model: "shared",
      messages,
      max_tokens: LONG,
      stream: true,
    });
    expect(openai.headers.get("x-cortex-node")).toBe("x");
    const openaiStream = sseReader(openai);
    await openaiStream.read(openAIContent);
    const anthropic = await gw.post(
      "/v1/messages",
      { model: "shared", messages, max_tokens: LONG, stream: true },
      { "anthropic-version": "2023-06-01" },
    );
    expect(anthropic.headers.get("x-cortex-node")).toBe("x");
    const anthropicStream = sseReader(anthropic);
    await anthropicStream.read(anthropicText);
    // A third request waits in the gateway for a free sequence of shared: nothing was sent for it yet.
    const queued = gw.post("/v1/chat/completions", { model: "shared", messages, max_tokens: 3 });
    await waitFor(
      "the third request to wait for a sequence",
      async () => (await gw.metric("cortex_scheduler_queued_requests")) === 1,
    );

    await x.kill();
    const killedAt = Date.now();
    const [openaiEnd, anthropicEnd] = await Promise.all([
      openaiStream
        .read((message) => message.data.includes('"error"'))
        .then((seen) => ({ seen, at: Date.now() })),
      anthropicStream.read((message) => message.event === "error").then((seen) => ({ seen, at: Date.now() })),
    ]);
    expect(JSON.parse(openaiEnd.seen.at(-1)?.data ?? "{}")).toMatchObject({
      error: { code: "upstream_error", type: "server_error" },
    });
    expect(openaiEnd.at - killedAt).toBeLessThan(1_000);
    expect(JSON.parse(anthropicEnd.seen.at(-1)?.data ?? "{}")).toMatchObject({
      type: "error",
      error: { type: "api_error" },
    });
    expect(anthropicEnd.at - killedAt).toBeLessThan(1_000);
    expect((await openaiStream.read()).map((message) => message.data)).toEqual(["[DONE]"]);

    const served = await queued;
    expect(served.status).toBe(200);
    expect(served.headers.get("x-cortex-node")).toBe("y");
    expect(((await served.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(
      3,
    );
  });

  it("a restarted neuron is re-adopted: the gateway routes to it again", async () => {
    const stateOfX = async (): Promise<string | undefined> =>
      (await nodeStates(gw)).find(([name]) => name === "x")?.[1];
    await waitFor("the gateway to see x down", async () => (await stateOfX()) === "down");
    await x.restart();
    // A down node is polled less and less often (up to every 30 s): re-adoption takes up to that long.
    await waitFor("the gateway to see x up again", async () => (await stateOfX()) === "up", 60_000);
    const response = await gw.post("/v1/chat/completions", { model: "only-x", messages, max_tokens: 2 });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-cortex-node")).toBe("x");
  }, 120_000);

  it("a gateway restarted while the neurons keep their models loads nothing again", async () => {
    const loadsBefore = [
      await x.metric("cortex_neuron_model_loads_total"),
      await y.metric("cortex_neuron_model_loads_total"),
    ];
    await gw.close();
    const again = await startTestGateway({
      neurons: [
        { name: "x", url: x.url },
        { name: "y", url: y.url },
      ],
    });
    cleanups.add(() => again.close());
    for (const model of ["only-x", "shared"]) {
      const response = await again.post("/v1/chat/completions", { model, messages, max_tokens: 2 });
      expect(response.status, model).toBe(200);
    }
    expect([
      await x.metric("cortex_neuron_model_loads_total"),
      await y.metric("cortex_neuron_model_loads_total"),
    ]).toEqual(loadsBefore);
    expect(await again.metric("cortex_scheduler_loads_total")).toBe(0);
  });
});

describe("a neuron that accepts and never answers", () => {
  let gw: TestGateway;
  let silent: SpawnedProcess;
  let healthy: SpawnedProcess;

  beforeAll(async () => {
    // One model per dialect: a hung request keeps its model busy on that node, which routing avoids.
    const models = ["m1", "m2"].map((id) => ({ id, memory: 10 * MiB, loaded: true }));
    // Its status polls answer (it looks up), but a chat request never gets a byte back.
    [silent, healthy] = await Promise.all([
      spawnFakeNeuron({
        name: "silent",
        memoryTotal: 100 * MiB,
        models,
        knobs: { firstByteDelayMs: 3_600_000 },
      }),
      spawnFakeNeuron({ name: "healthy", memoryTotal: 100 * MiB, models }),
    ]);
    cleanups.add(() => silent.stop("SIGKILL"));
    cleanups.add(() => healthy.stop("SIGKILL"));
    gw = await startTestGateway({
      neurons: [
        { name: "silent", url: silent.url },
        { name: "healthy", url: healthy.url },
      ],
      timeouts: { first_byte: "1s" },
      models: ["m1", "m2"].map((id) => `[[models]]\nid = "${id}"\npreferred_nodes = ["silent"]\n`).join("\n"),
    });
    cleanups.add(() => gw.close());
    await waitFor("both nodes up", async () => (await nodeStates(gw)).every(([, state]) => state === "up"));
  });

  it("hits the first-byte timeout, then fails over to another node, in either dialect", async () => {
    const openai = await gw.post("/v1/chat/completions", { model: "m1", messages, max_tokens: 2 });
    expect(openai.status).toBe(200);
    expect(openai.headers.get("x-cortex-node")).toBe("healthy");
    const anthropic = await gw.post(
      "/v1/messages",
      { model: "m2", messages, max_tokens: 2, stream: true },
      { "anthropic-version": "2023-06-01" },
    );
    expect(anthropic.status).toBe(200);
    expect(anthropic.headers.get("x-cortex-node")).toBe("healthy");
    const events = await sseReader(anthropic).read();
    expect(events.at(-1)?.event).toBe("message_stop");
    expect((await getFakeStats(silent.url)).requests).toBe(2);
    expect(await gw.metric("cortex_upstream_errors_total", { node: "silent", kind: "timeout" })).toBe(2);
  });
});

describe("load failures", () => {
  let neuron: RealNeuron;
  let gw: TestGateway;

  beforeAll(async () => {
    neuron = await startRealNeuron({
      name: "small",
      models: { big: { arch: "qwen3" } },
      files: { "cut.gguf": await truncatedModel() },
      config: 'context_size = 4096\nparallel = 1\nthreads = 1\nmemory_budget = "4MiB"',
    });
    cleanups.add(() => neuron.stop());
    // The profile understates the model, so the gateway tries and the neuron itself refuses.
    gw = await startTestGateway({
      neurons: [{ name: "small", url: neuron.url }],
      models: `[[models]]\nid = "big"\nexpected_memory = "1MiB"\n`,
    });
    cleanups.add(() => gw.close());
    await waitFor("the node up", async () => (await nodeStates(gw)).every(([, state]) => state === "up"));
  });

  it("insufficient memory on the node: a clear error in each dialect, a bounded number of load attempts per request", async () => {
    const openai = await gw.post("/v1/chat/completions", { model: "big", messages, max_tokens: 2 });
    expect(openai.status).toBe(503);
    expect(((await openai.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "insufficient_memory",
      message: expect.stringMatching(/insufficient memory to load big: needs .+ free/),
    });
    const anthropic = await gw.post(
      "/v1/messages",
      { model: "big", messages, max_tokens: 2 },
      { "anthropic-version": "2023-06-01" },
    );
    expect(anthropic.status).toBe(529);
    expect(
      ((await anthropic.json()) as { type: string; error: { type: string; message: string } }).error,
    ).toMatchObject({
      type: "overloaded_error",
      message: expect.stringMatching(/insufficient memory/),
    });
    expect(
      await gw.metric("cortex_scheduler_loads_total", { model: "big", result: "error" }),
    ).toBeLessThanOrEqual(2 * MAX_PLACEMENT_ATTEMPTS);
  });

  it("a corrupt model file: a clear error in each dialect naming the file's problem, one attempt per request", async () => {
    const openai = await gw.post("/v1/chat/completions", { model: "cut", messages, max_tokens: 2 });
    expect(openai.status).toBe(500);
    expect(((await openai.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "model_load_failed",
      message: expect.stringMatching(/cut cannot be loaded: truncated GGUF: tensor data ends at byte \d+/),
    });
    const anthropic = await gw.post(
      "/v1/messages",
      { model: "cut", messages, max_tokens: 2 },
      { "anthropic-version": "2023-06-01" },
    );
    expect(anthropic.status).toBe(500);
    expect(await anthropic.json()).toMatchObject({
      type: "error",
      error: { type: "api_error", message: expect.stringMatching(/truncated GGUF/) },
    });
    // One attempt per request: the node refuses at once, saying why, and nothing retries it.
    expect(await gw.metric("cortex_scheduler_loads_total", { model: "cut" })).toBe(2);
  });
});

/** A generated model cut 1000 bytes short: header intact, tensor data missing. */
async function truncatedModel(): Promise<Buffer> {
  const whole = await readFile(await fixtureModel({ arch: "llama" }));
  return whole.subarray(0, whole.length - 1000);
}
