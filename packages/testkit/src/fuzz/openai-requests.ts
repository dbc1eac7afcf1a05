import fc from "fast-check";
import {
  TOOL_CALL_IDS,
  TOOL_NAMES,
  imageUrl,
  jsonSchema,
  modelId,
  someText,
  stopSequences,
  text,
  toolArguments,
} from "./request-parts.js";

/**
 * Valid OpenAI requests (openai 6.x `ChatCompletionCreateParams`, `CompletionCreateParams`,
 * `EmbeddingCreateParams`), every optional field sometimes present. Mutate them with `mutated()`.
 */

/** Field names of the chat request, for mutations that add keys. */
export const OPENAI_CHAT_KEYS = [
  "model",
  "messages",
  "role",
  "content",
  "type",
  "text",
  "image_url",
  "url",
  "tool_calls",
  "tool_call_id",
  "function",
  "name",
  "arguments",
  "tools",
  "tool_choice",
  "parameters",
  "stop",
  "stream",
  "stream_options",
  "include_usage",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "top_k",
  "seed",
  "n",
  "logprobs",
  "response_format",
  "json_schema",
  "schema",
  "reasoning_effort",
  "reasoning_content",
  "functions",
  "function_call",
  "modalities",
  "audio",
];

function textParts(): fc.Arbitrary<{ type: "text"; text: string }[]> {
  return fc.array(fc.record({ type: fc.constant("text" as const), text: text() }), {
    minLength: 1,
    maxLength: 3,
  });
}

function userPart(): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ type: fc.constant("text"), text: text() }) },
    {
      weight: 2,
      arbitrary: fc.record({
        type: fc.constant("image_url"),
        image_url: fc.oneof(
          fc.record(
            { url: imageUrl(), detail: fc.constantFrom("auto", "low", "high") },
            { requiredKeys: ["url"] },
          ),
          imageUrl(),
        ),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant("file"),
        file: fc.record(
          {
            filename: fc.string({ maxLength: 10 }),
            file_id: fc.string({ maxLength: 10 }),
            file_data: fc.base64String({ maxLength: 12 }),
          },
          { requiredKeys: [] },
        ),
      }),
    },
  );
}

function toolCall(): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      id: fc.constantFrom(...TOOL_CALL_IDS),
      type: fc.constant("function"),
      function: fc.record({
        name: fc.constantFrom(...TOOL_NAMES),
        arguments: fc.oneof(
          toolArguments().map((args) => JSON.stringify(args)),
          toolArguments(),
          fc.constantFrom("", "{", "[]"),
        ),
      }),
    },
    { requiredKeys: ["id", "function"] },
  );
}

function message(): fc.Arbitrary<Record<string, unknown>> {
  const system = fc.record(
    {
      role: fc.constantFrom("system", "developer"),
      content: fc.oneof(text(), textParts()),
      name: fc.string({ maxLength: 8 }),
    },
    { requiredKeys: ["role", "content"] },
  );
  const user = fc.record(
    {
      role: fc.constant("user"),
      content: fc.oneof(text(), fc.array(userPart(), { minLength: 1, maxLength: 4 })),
      name: fc.string({ maxLength: 8 }),
    },
    { requiredKeys: ["role", "content"] },
  );
  const assistant = fc.record(
    {
      role: fc.constant("assistant"),
      content: fc.oneof(
        text(),
        fc.constant(null),
        fc.array(
          fc.oneof(
            fc.record({ type: fc.constant("text"), text: text() }),
            fc.record({ type: fc.constant("refusal"), refusal: text() }),
          ),
          { maxLength: 2 },
        ),
      ),
      tool_calls: fc.array(toolCall(), { maxLength: 3 }),
      reasoning_content: text(),
      reasoning: text(),
      refusal: fc.constant(null),
    },
    { requiredKeys: ["role"] },
  );
  const tool = fc.record({
    role: fc.constant("tool"),
    tool_call_id: fc.constantFrom(...TOOL_CALL_IDS),
    content: fc.oneof(text(), textParts()),
  });
  return fc.oneof(
    { weight: 1, arbitrary: system },
    { weight: 4, arbitrary: user },
    { weight: 3, arbitrary: assistant },
    { weight: 2, arbitrary: tool },
  );
}

function tools(): fc.Arbitrary<Record<string, unknown>[]> {
  return fc.uniqueArray(fc.constantFrom(...TOOL_NAMES), { maxLength: 4 }).chain((names) =>
    fc.tuple(
      ...names.map((name) =>
        fc.record({
          type: fc.constant("function"),
          function: fc.record(
            { name: fc.constant(name), description: text(), parameters: jsonSchema(), strict: fc.boolean() },
            { requiredKeys: ["name"] },
          ),
        }),
      ),
    ),
  );
}

function toolChoice(names: readonly string[]): fc.Arbitrary<unknown> {
  const forced =
    names.length === 0
      ? []
      : [fc.constantFrom(...names).map((name) => ({ type: "function", function: { name } }))];
  return fc.oneof(fc.constantFrom("auto", "none", ...(names.length > 0 ? ["required"] : [])), ...forced);
}

const positive = (): fc.Arbitrary<number> =>
  fc.oneof(fc.integer({ min: 1, max: 4096 }), fc.constant(1_000_000));

/** A valid `POST /v1/chat/completions` body. */
export function openAIChatRequest(): fc.Arbitrary<Record<string, unknown>> {
  return tools().chain((toolList) => {
    const names = toolList.map((tool) => (tool["function"] as { name: string }).name);
    return fc.record(
      {
        model: modelId(),
        messages: fc.array(message(), { minLength: 1, maxLength: 6 }),
        tools: fc.constant(toolList),
        tool_choice: toolChoice(names),
        parallel_tool_calls: fc.boolean(),
        stream: fc.boolean(),
        stream_options: fc.record({ include_usage: fc.boolean() }),
        max_tokens: positive(),
        max_completion_tokens: positive(),
        temperature: fc.double({ min: 0, max: 2, noNaN: true }),
        top_p: fc.double({ min: 0, max: 1, noNaN: true }),
        top_k: fc.integer({ min: -1, max: 100 }),
        seed: fc.integer(),
        stop: fc.oneof(fc.string({ maxLength: 5 }), stopSequences(4), fc.constant(null)),
        n: fc.constant(1),
        logprobs: fc.constant(false),
        top_logprobs: fc.constant(0),
        frequency_penalty: fc.double({ min: -2, max: 2, noNaN: true }),
        presence_penalty: fc.double({ min: -2, max: 2, noNaN: true }),
        logit_bias: fc.dictionary(
          fc.integer({ min: 0, max: 1000 }).map(String),
          fc.integer({ min: -100, max: 100 }),
          { maxKeys: 2 },
        ),
        response_format: fc.oneof(
          fc.constant({ type: "text" }),
          fc.constant({ type: "json_object" }),
          fc.record({
            type: fc.constant("json_schema"),
            json_schema: fc.record(
              {
                name: fc.string({ minLength: 1, maxLength: 10 }),
                schema: jsonSchema(),
                strict: fc.boolean(),
              },
              { requiredKeys: [] },
            ),
          }),
        ),
        reasoning_effort: fc.constantFrom("none", "minimal", "low", "medium", "high", "xhigh", "max"),
        user: fc.string({ maxLength: 10 }),
        metadata: fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
        store: fc.boolean(),
        service_tier: fc.constantFrom("auto", "default"),
      },
      // tool_choice may name a tool: the tools are then always there.
      { requiredKeys: names.length > 0 ? ["model", "messages", "tools"] : ["model", "messages"] },
    );
  });
}

function prompt(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: text() },
    { weight: 1, arbitrary: fc.array(text(), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.array(fc.nat(50_000), { maxLength: 5 }) },
  );
}

/** A valid `POST /v1/completions` body. */
export function openAICompletionRequest(): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      model: modelId(),
      prompt: prompt(),
      max_tokens: fc.integer({ min: 1, max: 4096 }),
      temperature: fc.double({ min: 0, max: 2, noNaN: true }),
      top_p: fc.double({ min: 0, max: 1, noNaN: true }),
      top_k: fc.integer({ min: -1, max: 100 }),
      seed: fc.integer(),
      stop: fc.oneof(fc.string({ maxLength: 5 }), stopSequences(4)),
      stream: fc.boolean(),
      stream_options: fc.record({ include_usage: fc.boolean() }),
      echo: fc.boolean(),
      n: fc.constant(1),
      best_of: fc.constant(1),
      logprobs: fc.constant(0),
      suffix: fc.string({ maxLength: 5 }),
      user: fc.string({ maxLength: 5 }),
    },
    { requiredKeys: ["model", "prompt"] },
  );
}

/** A valid `POST /v1/embeddings` body. */
export function openAIEmbeddingsRequest(): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      model: modelId(),
      input: fc.oneof(
        { weight: 3, arbitrary: someText() },
        { weight: 2, arbitrary: fc.array(someText(), { minLength: 1, maxLength: 4 }) },
        { weight: 1, arbitrary: fc.array(fc.nat(50_000), { minLength: 1, maxLength: 4 }) },
      ),
      encoding_format: fc.constantFrom("float", "base64"),
      dimensions: fc.integer({ min: 1, max: 4096 }),
      user: fc.string({ maxLength: 5 }),
    },
    { requiredKeys: ["model", "input"] },
  );
}
