import {
  ANTHROPIC_KEYS,
  OPENAI_CHAT_KEYS,
  RESPONSES_KEYS,
  anthropicCountTokensRequest,
  anthropicMessagesRequest,
  hostileJson,
  jsonRoundTrip,
  mutated,
  openAIChatRequest,
  openAICompletionRequest,
  openAIEmbeddingsRequest,
  propertyTest,
  responsesRequest,
} from "@cortex/testkit/fuzz";
import fc from "fast-check";
import { describe, expect } from "vitest";
import type { CanonicalChatRequest } from "../../src/canonical/index.js";
import {
  decodeAnthropicCountTokensRequest,
  decodeAnthropicRequest,
  decodeOpenAIChatRequest,
  decodeResponsesInputTokensRequest,
  decodeResponsesRequest,
  encodeOpenAIChatRequest,
  parseOpenAICompletionRequest,
  parseOpenAIEmbeddingsRequest,
} from "../../src/dialects/index.js";
import { TokenizeRequestSchema } from "../../src/protocol/index.js";
import { decodedOrClientError } from "./client-error.js";

/**
 * Every request decoder on valid, broken-in-a-few-places and random bodies: a decoded request or a 400
 * naming the problem, never another exception. What the gateway decodes must also be what the neuron
 * accepts: the gateway sends it on (translated) and a refusal there would reach the client as an error
 * about fields it never sent.
 */

function bodies(valid: fc.Arbitrary<unknown>, keys: readonly string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 1, arbitrary: valid },
    { weight: 6, arbitrary: mutated(valid, { keys }) },
    { weight: 1, arbitrary: hostileJson({ depth: 4, keys }) },
  );
}

/** The neuron's decoder on what the gateway sends it for `chat`. */
function neuronDecode(chat: CanonicalChatRequest): CanonicalChatRequest {
  const wire = jsonRoundTrip(encodeOpenAIChatRequest(chat));
  return decodeOpenAIChatRequest(wire).value;
}

/** What a canonical request can rely on, whichever dialect it came from. */
function expectCanonical(chat: CanonicalChatRequest): void {
  expect(() => JSON.stringify(chat)).not.toThrow();
  const systems = chat.messages.flatMap((message, index) => (message.role === "system" ? [index] : []));
  expect(systems.length === 0 || (systems.length === 1 && systems[0] === 0)).toBe(true);
  expect(chat.stop).not.toContain("");
  const names = chat.tools.map((tool) => tool.name);
  expect(new Set(names).size).toBe(names.length);
  if (chat.toolChoice.type === "tool") expect(names).toContain(chat.toolChoice.name);
  if (chat.toolChoice.type === "required") expect(names.length).toBeGreaterThan(0);
  for (const message of chat.messages) {
    if (message.role !== "user") continue;
    for (const part of message.content) {
      if (part.type === "image") expect(part.url).toMatch(/^(https?:|data:image\/)/i);
    }
  }
}

/**
 * The canonical request once it has crossed the wire to the neuron: the same, up to what OpenAI cannot say
 * (and what means nothing without tools, and a tool result's error flag).
 */
function expectSameOnNeuron(chat: CanonicalChatRequest): void {
  // OpenAI takes a conversation that is one empty system prompt; there is nothing to send on the wire.
  if (chat.messages.length === 0) return;
  const received = neuronDecode(chat);
  const comparable = ({ includePromptUsage, ...request }: CanonicalChatRequest) => ({
    ...request,
    // Only a stream has a start to report the prompt's usage at (neuron protocol, include_prompt_usage).
    ...(request.stream && includePromptUsage === true ? { includePromptUsage } : {}),
    // Not sent without tools (no meaning there), and always asked for when streaming.
    parallelToolCalls: request.tools.length > 0 ? request.parallelToolCalls : true,
    toolChoice: request.tools.length > 0 ? request.toolChoice : { type: "auto" },
    // The flag has no OpenAI field; the content already starts with "Error: ", which is what the neuron uses.
    messages: request.messages.map((message) => {
      if (message.role !== "tool") return message;
      const { isError: _isError, ...rest } = message;
      return rest;
    }),
    includeUsage: request.stream,
  });
  expect(comparable(received)).toEqual(comparable(chat));
}

/** A gateway-side decoder: what it decodes is canonical, and the neuron takes it as it is. */
function decodesForTheNeuron(decode: () => { value: CanonicalChatRequest }): void {
  const outcome = decodedOrClientError(decode);
  if (!outcome.ok) return;
  expectCanonical(outcome.value.value);
  expectSameOnNeuron(outcome.value.value);
}

/** A token-count decoder: what it decodes is canonical, and the neuron's /tokenize accepts what is sent. */
function countsOnTheNeuron(decode: () => { value: CanonicalChatRequest }): void {
  const outcome = decodedOrClientError(decode);
  if (!outcome.ok) return;
  const chat = outcome.value.value;
  expectCanonical(chat);
  // What dialects/translated.ts sends to /tokenize, and what routes/tokenize.ts does with it.
  const { messages, tools } = encodeOpenAIChatRequest(chat);
  const tokenize = TokenizeRequestSchema.parse(jsonRoundTrip({ model: chat.model, messages, tools }));
  expect("messages" in tokenize).toBe(true);
  decodeOpenAIChatRequest({ model: chat.model, messages, tools });
}

describe("OpenAI request decoders: fuzzed bodies", () => {
  const chatBodies = bodies(openAIChatRequest(), OPENAI_CHAT_KEYS);

  propertyTest(
    "chat completions (gateway limits): decoded, or a 400; what decodes, the neuron accepts as is",
    150,
    chatBodies,
    (body) => decodesForTheNeuron(() => decodeOpenAIChatRequest(body)),
  );

  propertyTest(
    "chat completions (the neuron, without OpenAI's limits): decoded, or a 400",
    100,
    chatBodies,
    (body) => {
      const outcome = decodedOrClientError(() => decodeOpenAIChatRequest(body));
      if (outcome.ok) expectCanonical(outcome.value.value);
    },
  );

  propertyTest("every valid chat request decodes", 100, openAIChatRequest().map(jsonRoundTrip), (body) => {
    const { value } = decodeOpenAIChatRequest(body);
    expect(value.model).toBe(body["model"]);
    expect(value.stream).toBe(body["stream"] === true);
  });

  propertyTest(
    "completions and embeddings: parsed, or a 400",
    150,
    fc.tuple(
      bodies(openAICompletionRequest(), ["model", "prompt", "stop", "stream", "max_tokens"]),
      bodies(openAIEmbeddingsRequest(), ["model", "input", "encoding_format", "dimensions"]),
    ),
    ([completion, embedding]) => {
      decodedOrClientError(() => parseOpenAICompletionRequest(completion));
      decodedOrClientError(() => parseOpenAIEmbeddingsRequest(embedding));
    },
  );

  propertyTest(
    "every valid completions and embeddings request parses",
    100,
    fc.tuple(openAICompletionRequest().map(jsonRoundTrip), openAIEmbeddingsRequest().map(jsonRoundTrip)),
    ([completion, embedding]) => {
      expect(parseOpenAICompletionRequest(completion).model).toBe(completion["model"]);
      expect(parseOpenAIEmbeddingsRequest(embedding).model).toBe(embedding["model"]);
    },
  );
});

describe("Anthropic request decoders: fuzzed bodies", () => {
  propertyTest(
    "messages: decoded, or a 400; what decodes, the neuron accepts as is",
    150,
    bodies(anthropicMessagesRequest(), ANTHROPIC_KEYS),
    (body) => decodesForTheNeuron(() => decodeAnthropicRequest(body)),
  );

  propertyTest(
    "count_tokens: decoded, or a 400; the neuron's /tokenize accepts what the gateway sends",
    100,
    bodies(anthropicCountTokensRequest(), ANTHROPIC_KEYS),
    (body) => countsOnTheNeuron(() => decodeAnthropicCountTokensRequest(body)),
  );

  propertyTest(
    "every valid messages request decodes",
    100,
    anthropicMessagesRequest().map(jsonRoundTrip),
    (body) => {
      const { value } = decodeAnthropicRequest(body);
      expect(value.model).toBe(body["model"]);
      expect(value.maxTokens).toBe(body["max_tokens"]);
    },
  );
});

describe("Responses request decoders: fuzzed bodies", () => {
  const responsesBodies = bodies(responsesRequest(), RESPONSES_KEYS);

  propertyTest(
    "responses: decoded, or a 400; what decodes, the neuron accepts as is",
    150,
    responsesBodies,
    (body) => decodesForTheNeuron(() => ({ value: decodeResponsesRequest(body).value.chat })),
  );

  propertyTest(
    "input_tokens: decoded, or a 400; the neuron's /tokenize accepts what the gateway sends",
    100,
    responsesBodies,
    (body) => countsOnTheNeuron(() => decodeResponsesInputTokensRequest(body)),
  );

  propertyTest(
    "every valid responses request decodes",
    100,
    responsesRequest().map(jsonRoundTrip),
    (body) => {
      const { value } = decodeResponsesRequest(body);
      expect(value.chat.model).toBe(body["model"]);
      expect(value.chat.stream).toBe(body["stream"] === true);
      expect(value.turn.echo.store).toBe(body["store"] !== false);
    },
  );
});
