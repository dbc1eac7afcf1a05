import fc from "fast-check";
import {
  TOOL_CALL_IDS,
  TOOL_NAMES,
  imageUrl,
  jsonSchema,
  modelId,
  someText,
  text,
  toolArguments,
} from "./request-parts.js";

/**
 * Valid OpenAI Responses requests (openai-node 6.30's `ResponseCreateParams`, what Codex CLI and the AI
 * SDK send), every optional field sometimes present. Mutate them with `mutated()`.
 */

export const RESPONSES_KEYS = [
  "model",
  "input",
  "instructions",
  "role",
  "content",
  "type",
  "text",
  "image_url",
  "file_id",
  "call_id",
  "name",
  "namespace",
  "arguments",
  "output",
  "summary",
  "encrypted_content",
  "tools",
  "parameters",
  "strict",
  "format",
  "definition",
  "tool_choice",
  "parallel_tool_calls",
  "reasoning",
  "effort",
  "max_output_tokens",
  "temperature",
  "top_p",
  "store",
  "stream",
  "previous_response_id",
  "metadata",
  "schema",
];

const callId = fc.constantFrom(...TOOL_CALL_IDS);

function inputPart(): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ type: fc.constant("input_text"), text: text() }) },
    {
      weight: 1,
      arbitrary: fc.record(
        {
          type: fc.constant("input_image"),
          image_url: imageUrl(),
          detail: fc.constantFrom("auto", "low", "high"),
        },
        { requiredKeys: ["type", "image_url"] },
      ),
    },
    { weight: 1, arbitrary: fc.record({ type: fc.constant("input_image"), file_id: fc.constant("file_1") }) },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant("input_file"),
        filename: fc.constant("a.pdf"),
        file_data: fc.constant("data:application/pdf;base64,JVBER"),
      }),
    },
  );
}

function message(): fc.Arbitrary<Record<string, unknown>> {
  const output = fc.record({ type: fc.constant("output_text"), text: text(), annotations: fc.constant([]) });
  return fc.oneof(
    fc.record(
      {
        type: fc.constant("message"),
        role: fc.constantFrom("user", "system", "developer"),
        content: fc.oneof(text(), fc.array(inputPart(), { minLength: 1, maxLength: 3 })),
        id: fc.constant("msg_1"),
      },
      { requiredKeys: ["role", "content"] },
    ),
    fc.record(
      {
        type: fc.constant("message"),
        role: fc.constant("assistant"),
        content: fc.oneof(someText(), fc.array(output, { minLength: 1, maxLength: 2 })),
        status: fc.constant("completed"),
      },
      { requiredKeys: ["role", "content"] },
    ),
  );
}

function item(): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof(
    { weight: 4, arbitrary: message() },
    {
      weight: 2,
      arbitrary: fc.record(
        {
          type: fc.constant("function_call"),
          call_id: callId,
          name: fc.constantFrom(...TOOL_NAMES),
          arguments: toolArguments().map((args) => JSON.stringify(args)),
          namespace: fc.constantFrom("agents", "mcp"),
        },
        { requiredKeys: ["type", "call_id", "name", "arguments"] },
      ),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        type: fc.constantFrom("function_call_output", "custom_tool_call_output"),
        call_id: callId,
        output: fc.oneof(text(), fc.array(inputPart(), { minLength: 1, maxLength: 2 })),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant("custom_tool_call"),
        call_id: callId,
        name: fc.constant("apply_patch"),
        input: text(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record(
        {
          type: fc.constant("reasoning"),
          summary: fc.array(fc.record({ type: fc.constant("summary_text"), text: text() }), { maxLength: 2 }),
          content: fc.array(fc.record({ type: fc.constant("reasoning_text"), text: text() }), {
            maxLength: 2,
          }),
          encrypted_content: fc.constantFrom(null, "gAAAA"),
        },
        { requiredKeys: ["type", "summary"] },
      ),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant("web_search_call"),
        id: fc.constant("ws_1"),
        status: fc.constant("completed"),
      }),
    },
  );
}

function tool(): fc.Arbitrary<Record<string, unknown>> {
  const fn = fc.record(
    {
      type: fc.constant("function"),
      name: fc.constantFrom(...TOOL_NAMES),
      description: someText(),
      parameters: fc.oneof(jsonSchema(), fc.constant(null)),
      strict: fc.boolean(),
    },
    { requiredKeys: ["type", "name"] },
  );
  const custom = fc.record(
    {
      type: fc.constant("custom"),
      name: fc.constantFrom("apply_patch", "note"),
      description: someText(),
      format: fc.oneof(
        fc.constant({ type: "text" }),
        fc.constant({ type: "grammar", syntax: "lark", definition: 'start: "x"' }),
      ),
    },
    { requiredKeys: ["type", "name"] },
  );
  return fc.oneof(
    { weight: 4, arbitrary: fn },
    { weight: 1, arbitrary: custom },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant("namespace"),
        name: fc.constantFrom("agents", "mcp"),
        description: someText(),
        tools: fc.uniqueArray(fn, { maxLength: 3, selector: (value) => value["name"] }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom({ type: "web_search" }, { type: "tool_search", execution: "client" }),
    },
  );
}

/** `POST /v1/responses` bodies. */
export function responsesRequest(): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      model: modelId(),
      // A conversation ends on a user turn (or a tool output), as every client sends it.
      input: fc.oneof(
        { weight: 1, arbitrary: someText() },
        {
          weight: 4,
          arbitrary: fc
            .tuple(
              fc.array(item(), { maxLength: 6 }),
              fc.record({ role: fc.constant("user"), content: someText() }),
            )
            .map(([items, last]) => [...items, last]),
        },
      ),
      instructions: text(),
      tools: fc.uniqueArray(tool(), {
        maxLength: 4,
        selector: (value) => `${String(value["type"])}:${String(value["name"])}`,
      }),
      tool_choice: fc.constantFrom("auto", "none"),
      parallel_tool_calls: fc.boolean(),
      reasoning: fc.record(
        {
          effort: fc.constantFrom("low", "medium", "high", "none"),
          summary: fc.constantFrom("auto", "concise"),
        },
        { requiredKeys: [] },
      ),
      text: fc.record({
        format: fc.oneof(
          fc.constant({ type: "text" }),
          fc.constant({ type: "json_object" }),
          jsonSchema().map((schema) => ({ type: "json_schema", name: "out", schema, strict: true })),
        ),
      }),
      max_output_tokens: fc.integer({ min: 1, max: 4096 }),
      temperature: fc.double({ min: 0, max: 2, noNaN: true }),
      top_p: fc.double({ min: 0, max: 1, noNaN: true }),
      store: fc.boolean(),
      stream: fc.boolean(),
      metadata: fc.dictionary(fc.constantFrom("a", "b"), fc.string({ maxLength: 8 }), { maxKeys: 2 }),
      include: fc.constant(["reasoning.encrypted_content"]),
      prompt_cache_key: fc.constant("k"),
    },
    { requiredKeys: ["model", "input"] },
  );
}
