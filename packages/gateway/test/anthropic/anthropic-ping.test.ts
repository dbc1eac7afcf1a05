import { SseParser, parseCortexConfig, parseModelsConfig, validateResponsesEvents } from "@cortex/core";
import { collectSse, startFakeNeuron, type FakeNeuron } from "@cortex/testkit";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type RunningGateway } from "../../src/start-gateway.js";

let neuron: FakeNeuron;
let gateway: RunningGateway;

beforeAll(async () => {
  neuron = await startFakeNeuron({
    name: "slow",
    memoryTotal: 1 << 30,
    models: [{ id: "slowpoke", memory: 1 << 20, loaded: true }],
    knobs: { tokenDelayMs: 400, replyText: "one two three" },
  });
  const config = parseCortexConfig(
    `[gateway]\nlisten = "127.0.0.1:0"\nmetrics_listen = "127.0.0.1:0"\n[[neurons]]\nname = "slow"\nendpoint = "${neuron.url}"\n`,
    "cortex.toml",
    "/",
  );
  gateway = await startGateway({
    config,
    models: parseModelsConfig("", "models.toml", "/"),
    logger: pino({ level: "silent" }),
    anthropicPingMs: 100,
  });
});

afterAll(async () => {
  await gateway?.close();
  await neuron?.close();
});

describe("Anthropic keep-alive", () => {
  it("sends ping events during silences and still a valid message", async () => {
    const response = await fetch(`${gateway.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({
        model: "slowpoke",
        max_tokens: 16,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    const events = (await collectSse(response.body)).map((message) => message.event);
    expect(events.filter((event) => event === "ping").length).toBeGreaterThanOrEqual(2);
    expect(events[0]).toBe("message_start");
    expect(events.at(-1)).toBe("message_stop");
    // Pings only between complete events: never inside a block's sequence of deltas by index.
    expect(events.filter((event) => event === "message_start")).toHaveLength(1);
  });
});

describe("Responses keep-alive", () => {
  it("sends SSE comments during silences, which clients skip, and still a valid stream", async () => {
    const response = await fetch(`${gateway.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "slowpoke", input: "hi", max_output_tokens: 16, stream: true }),
    });
    const raw = await response.text();
    expect(raw.match(/^: keep-alive$/gm)?.length).toBeGreaterThanOrEqual(2);
    const parser = new SseParser();
    const wire = [...parser.push(raw), ...parser.end()].map((message) => ({
      event: message.event ?? null,
      data: JSON.parse(message.data) as unknown,
    }));
    expect(validateResponsesEvents(wire)).toEqual([]);
  });
});
