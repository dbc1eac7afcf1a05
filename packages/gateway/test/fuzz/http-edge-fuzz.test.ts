import { NeuronModelsResponseSchema } from "@cortex/core";
import { startInProcessNeuron, type InProcessNeuron } from "@cortex/testkit";
import {
  ANTHROPIC_KEYS,
  OPENAI_CHAT_KEYS,
  anthropicCountTokensRequest,
  anthropicMessagesRequest,
  asyncPropertyTest,
  expectHttpAnswer,
  httpRequest,
  openAIChatRequest,
  openAICompletionRequest,
  openAIEmbeddingsRequest,
  type FuzzHttpRequest,
  type FuzzRoute,
  type WireDialect,
} from "@cortex/testkit/fuzz";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cleanups, startTestGateway, waitFor, type TestGateway } from "../integration/gateway-harness.js";

/**
 * The gateway's HTTP edge in-process (`fastify.inject`), in front of a real neuron app on the fake
 * engine: bodies built from each route's schema and broken in a few places, bodies that are not JSON,
 * 100k-deep nesting, 20 000-element arrays, odd paths, methods and headers. Every answer is a 2xx or a
 * 4xx in the route's dialect (never a 5xx, a stack trace or a hang), and the gateway keeps serving.
 */

const cleanups = new Cleanups();
afterAll(() => cleanups.run());

const ROUTES: readonly FuzzRoute[] = [
  { method: "POST", url: "/v1/chat/completions", body: openAIChatRequest(), keys: OPENAI_CHAT_KEYS },
  { method: "POST", url: "/v1/completions", body: openAICompletionRequest(), keys: ["prompt", "max_tokens"] },
  { method: "POST", url: "/v1/embeddings", body: openAIEmbeddingsRequest(), keys: ["input", "dimensions"] },
  { method: "POST", url: "/v1/messages", body: anthropicMessagesRequest(), keys: ANTHROPIC_KEYS },
  {
    method: "POST",
    url: "/v1/messages/count_tokens",
    body: anthropicCountTokensRequest(),
    keys: ANTHROPIC_KEYS,
  },
  { method: "POST", url: "/v1/responses" },
  { method: "GET", url: "/v1/models" },
  { method: "GET", url: "/v1/models/fuzz-model" },
  { method: "GET", url: "/health" },
];

/** The envelope the gateway documents for a path (docs/api-conformance.md), restated independently. */
function expectedDialect(request: FuzzHttpRequest): WireDialect {
  const url = request.url.indexOf("/v1/") > 0 ? request.url.slice(request.url.indexOf("/v1/")) : request.url;
  // A fragment never reaches a server.
  const path = url.split(/[?#]/)[0] ?? url;
  if (/\/v1\/messages(\/|$)/.test(path)) return "anthropic";
  const anthropicClient =
    request.headers["anthropic-version"] !== undefined || request.headers["x-api-key"] !== undefined;
  return path.startsWith("/v1/models") && anthropicClient ? "anthropic" : "openai";
}

describe("gateway HTTP edge: fuzzed requests", () => {
  let gw: TestGateway;
  let neuron: InProcessNeuron;

  beforeAll(async () => {
    neuron = await startInProcessNeuron({
      models: { "fuzz-model": { memory: 1_000_000 }, "qwen3-tiny": { memory: 1_000_000 } },
      config: "context_size = 512\nparallel = 4",
    });
    cleanups.add(() => neuron.close());
    gw = await startTestGateway({ neurons: [{ name: "fz", url: neuron.url }] });
    cleanups.add(() => gw.close());
    await waitFor("fuzz-model offered", async () =>
      (await gw.catalog()).some((entry) => entry.id === "fuzz-model"),
    );
  });

  asyncPropertyTest(
    "a 2xx, or a 4xx in the route's dialect; never a 5xx, a stack or a hang",
    300,
    httpRequest(ROUTES),
    (request) => expectHttpAnswer(request, (sent) => gw.running.inject(sent), expectedDialect),
  );

  it("keeps serving afterwards, with no request left in flight on the neuron", async () => {
    expect((await gw.get("/health")).status).toBe(200);
    const response = await gw.post("/v1/chat/completions", {
      model: "fuzz-model",
      max_tokens: 3,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(response.status).toBe(200);
    const { models } = NeuronModelsResponseSchema.parse(
      (await neuron.neuron.inject({ method: "GET", url: "/models" })).json(),
    );
    expect(models.map((model) => [model.id, model.in_flight, model.queued])).toEqual(
      models.map((model) => [model.id, 0, 0]),
    );
  });
});
