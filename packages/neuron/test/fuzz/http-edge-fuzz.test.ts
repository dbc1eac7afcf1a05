import { NeuronModelsResponseSchema } from "@cortex/core";
import { startInProcessNeuron, type InProcessNeuron } from "@cortex/testkit";
import {
  OPENAI_CHAT_KEYS,
  asyncPropertyTest,
  expectHttpAnswer,
  httpRequest,
  modelId,
  openAIChatRequest,
  openAICompletionRequest,
  openAIEmbeddingsRequest,
  type FuzzRoute,
} from "@cortex/testkit/fuzz";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The neuron's HTTP edge in-process (`fastify.inject`) on the fake engine: every route with bodies built
 * from its schema and broken in a few places, bodies that are not JSON, deep nesting, huge arrays, odd
 * paths, methods and headers. Every answer is a 2xx or a 4xx in OpenAI's envelope (a 503 only for
 * capacity), never a 500, a stack trace or a hang; afterwards no sequence is left in use.
 */

const tokenizeBody = fc.oneof(
  fc.record({ model: modelId(), prompt: fc.string({ maxLength: 40 }) }),
  openAIChatRequest().map((chat) => ({
    model: chat["model"],
    messages: chat["messages"],
    tools: chat["tools"],
  })),
);

const ROUTES: readonly FuzzRoute[] = [
  { method: "POST", url: "/v1/chat/completions", body: openAIChatRequest(), keys: OPENAI_CHAT_KEYS },
  { method: "POST", url: "/v1/completions", body: openAICompletionRequest(), keys: ["prompt", "max_tokens"] },
  { method: "POST", url: "/v1/embeddings", body: openAIEmbeddingsRequest(), keys: ["input", "dimensions"] },
  { method: "POST", url: "/tokenize", body: tokenizeBody, keys: ["model", "prompt", "messages", "tools"] },
  {
    method: "POST",
    url: "/models/load",
    body: fc.record(
      { model: modelId(), context_size: fc.integer({ min: 1, max: 1024 }), gpu_layers: fc.nat(64) },
      { requiredKeys: ["model"] },
    ),
    keys: ["model", "context_size", "gpu_layers"],
  },
  {
    method: "POST",
    url: "/models/unload",
    body: fc.record({ model: modelId(), force: fc.boolean() }, { requiredKeys: ["model"] }),
    keys: ["model", "force"],
  },
  { method: "GET", url: "/health" },
  { method: "GET", url: "/info" },
  { method: "GET", url: "/models" },
  { method: "GET", url: "/metrics" },
  { method: "GET", url: "/v1/models" },
];

describe("neuron HTTP edge: fuzzed requests", () => {
  let neuron: InProcessNeuron;

  beforeAll(async () => {
    neuron = await startInProcessNeuron({
      models: { "fuzz-model": { memory: 1_000_000 }, "qwen3-tiny": { memory: 1_000_000 } },
      config: "context_size = 512\nparallel = 4",
    });
  });
  afterAll(() => neuron.close());

  asyncPropertyTest(
    "a 2xx, or a 4xx in OpenAI's envelope; never a 500, a stack or a hang",
    300,
    httpRequest(ROUTES),
    (request) =>
      expectHttpAnswer(
        request,
        (sent) => neuron.neuron.inject(sent),
        () => "openai",
      ),
  );

  it("keeps serving afterwards, with no sequence left in use", async () => {
    expect((await neuron.neuron.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
    const chat = await neuron.neuron.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: { model: "fuzz-model", max_tokens: 3, messages: [{ role: "user", content: "hi" }] },
    });
    expect(chat.statusCode).toBe(200);
    const { models } = NeuronModelsResponseSchema.parse(
      (await neuron.neuron.inject({ method: "GET", url: "/models" })).json(),
    );
    expect(models.map((model) => [model.id, model.in_flight, model.queued])).toEqual(
      models.map((model) => [model.id, 0, 0]),
    );
  });
});
