import { parseCortexConfig, parseModelsConfig } from "@cortex/core";
import { rawConnection, readMetric, startFakeNeuron, type FakeNeuron } from "@cortex/testkit";
import OpenAI from "openai";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type RunningGateway } from "../../src/start-gateway.js";

const MiB = 1024 * 1024;
let neuron: FakeNeuron;
let gateway: RunningGateway;

beforeAll(async () => {
  neuron = await startFakeNeuron({
    name: "alpha",
    memoryTotal: 512 * MiB,
    models: [{ id: "m1", memory: 64 * MiB }],
    knobs: { tokenDelayMs: 5, loadDelayMs: 1000 },
  });
  const config = parseCortexConfig(
    [
      "[gateway]",
      'listen = "127.0.0.1:0"',
      'metrics_listen = "127.0.0.1:0"',
      "[fleet]",
      'poll_interval = "200ms"',
      "[[neurons]]",
      'name = "alpha"',
      `endpoint = "${neuron.url}"`,
    ].join("\n"),
    "cortex.toml",
    "/",
  );
  gateway = await startGateway({
    config,
    models: parseModelsConfig("", "models.toml", "/"),
    logger: pino({ level: "silent" }),
  });
});

afterAll(async () => {
  await gateway?.close();
  await neuron?.close();
});

/** Sums a metric's samples whose labels include `labels`, from the live registry's exposition. */
async function sample(name: string, labels: Record<string, string>): Promise<number> {
  return readMetric(await gateway.context.registry.metrics(), name, labels);
}

describe("gateway metrics after real requests", () => {
  it("records per-request tokens, TTFT, tok/s and a cold-load wait kept out of TTFT", async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: "x", maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: "m1",
      messages: [{ role: "user", content: "hello" }],
      max_tokens: 6,
      stream: true,
    });
    let chunks = 0;
    for await (const _chunk of stream) chunks++;
    expect(chunks).toBeGreaterThan(6);
    // The client did not ask for usage, so the chunk the gateway asked for on its own behalf was removed.
    const labels = { model: "m1", node: "alpha", dialect: "openai" };
    expect(await sample("cortex_gateway_requests_total", { ...labels, status: "200" })).toBe(1);
    expect(await sample("cortex_gateway_completion_tokens_total", labels)).toBe(6);
    expect(await sample("cortex_gateway_prompt_tokens_total", labels)).toBeGreaterThan(0);
    const ttftSum = await sample("cortex_gateway_time_to_first_token_seconds_sum", labels);
    const coldLoadSum = await sample("cortex_gateway_cold_load_wait_seconds_sum", { model: "m1" });
    expect(coldLoadSum).toBeGreaterThanOrEqual(1);
    // Had TTFT included the one-second load, it would be at least a second.
    expect(ttftSum).toBeLessThan(1);
    expect(await sample("cortex_gateway_decode_tokens_per_second_count", labels)).toBe(1);
    const scrape = await (await fetch(`${gateway.metricsUrl}/metrics`)).text();
    expect(scrape).toMatch(
      /cortex_gateway_time_to_first_token_seconds_bucket\{le="[^"]+",model="m1",node="alpha",dialect="openai"\}/,
    );
    expect(scrape).toMatch(/cortex_fleet_node_up\{node="alpha"\} 1/);
    expect(scrape).toMatch(/cortex_scheduler_loads_total\{model="m1",node="alpha",result="ok"\} 1/);
  });

  it("times non-streaming requests too, from the timings the neuron reports", async () => {
    const labels = { model: "m1", node: "alpha", dialect: "openai" };
    const before = await sample("cortex_gateway_time_to_first_token_seconds_count", labels);
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: "x", maxRetries: 0 });
    await client.chat.completions.create({
      model: "m1",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 4,
    });
    expect(await sample("cortex_gateway_time_to_first_token_seconds_count", labels)).toBe(before + 1);
    expect(await sample("cortex_gateway_decode_tokens_per_second_count", labels)).toBe(before + 1);
  });

  it("counts the tokens of non-streaming passthrough answers (chat and embeddings) as their usage says", async () => {
    const labels = { model: "m1", node: "alpha", dialect: "openai" };
    const tokens = async () => ({
      prompt: await sample("cortex_gateway_prompt_tokens_total", labels),
      completion: await sample("cortex_gateway_completion_tokens_total", labels),
    });
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: "x", maxRetries: 0 });
    const before = await tokens();
    const chat = await client.chat.completions.create({
      model: "m1",
      messages: [{ role: "user", content: "count me" }],
      max_tokens: 3,
    });
    const afterChat = await tokens();
    expect(chat.usage?.completion_tokens).toBe(3);
    expect(afterChat.prompt - before.prompt).toBe(chat.usage?.prompt_tokens);
    expect(afterChat.completion - before.completion).toBe(3);

    const embeddings = await client.embeddings.create({ model: "m1", input: ["one two", "three"] });
    const afterEmbeddings = await tokens();
    expect(embeddings.usage.prompt_tokens).toBeGreaterThan(0);
    expect(afterEmbeddings.prompt - afterChat.prompt).toBe(embeddings.usage.prompt_tokens);
    expect(afterEmbeddings.completion).toBe(afterChat.completion);
  });

  it('requests for random model names are counted under model="unknown", never a label each', async () => {
    const names = Array.from({ length: 20 }, (_, index) => `no-such-model-${index}-${Math.random()}`);
    for (const [index, model] of names.entries()) {
      const anthropic = index % 2 === 1;
      const response = await fetch(`${gateway.url}${anthropic ? "/v1/messages" : "/v1/chat/completions"}`, {
        method: "POST",
        headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
        body: JSON.stringify({ model, max_tokens: 2, messages: [{ role: "user", content: "hi" }] }),
      });
      expect(response.status).toBe(404);
      await response.body?.cancel();
    }
    const scrape = await (await fetch(`${gateway.metricsUrl}/metrics`)).text();
    expect(scrape).not.toMatch(/no-such-model/);
    const unknown = { model: "unknown", status: "404" };
    expect(await sample("cortex_gateway_requests_total", { ...unknown, dialect: "openai" })).toBe(10);
    expect(await sample("cortex_gateway_requests_total", { ...unknown, dialect: "anthropic" })).toBe(10);
  });

  it("counts requests that end before the pipeline: a body that is not JSON, a client gone mid-body (found by the soak)", async () => {
    // Soak: a client that gave up while its body was still arriving was in no request counter at all.
    const counted = (dialect: string, status: string): Promise<number> =>
      sample("cortex_gateway_requests_total", { dialect, status });
    const response = await fetch(`${gateway.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    await response.body?.cancel();
    expect(await counted("responses", "400")).toBe(1);

    const before = await counted("anthropic", "499");
    const connection = await rawConnection(gateway.url);
    connection.socket.write(
      "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n" +
        'content-length: 200\r\n\r\n{"model":',
    );
    connection.socket.destroy();
    await connection.closed;
    await expect.poll(() => counted("anthropic", "499"), { timeout: 5_000 }).toBe(before + 1);
  });
});
