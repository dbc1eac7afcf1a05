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
 * Valid Anthropic Messages requests (docs/api-spec.md §1.3, what Claude Code and the SDK send), every optional
 * field sometimes present. Mutate them with `mutated()`.
 */

export const ANTHROPIC_KEYS = [
  "model",
  "max_tokens",
  "messages",
  "role",
  "content",
  "type",
  "text",
  "source",
  "media_type",
  "data",
  "url",
  "id",
  "name",
  "input",
  "tool_use_id",
  "is_error",
  "thinking",
  "signature",
  "system",
  "tools",
  "input_schema",
  "tool_choice",
  "disable_parallel_tool_use",
  "budget_tokens",
  "output_config",
  "effort",
  "format",
  "schema",
  "stop_sequences",
  "temperature",
  "top_p",
  "top_k",
  "stream",
  "metadata",
  "cache_control",
];

const cacheControl = fc.constant({ type: "ephemeral" });

function textBlock(): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    { type: fc.constant("text"), text: text(), cache_control: cacheControl, citations: fc.constant(null) },
    { requiredKeys: ["type", "text"] },
  );
}

function imageBlock(): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({
    type: fc.constant("image"),
    source: fc.oneof(
      fc.record({
        type: fc.constant("base64"),
        media_type: fc.constantFrom("image/png", "image/jpeg", "image/gif", "image/webp"),
        data: fc.base64String({ maxLength: 40 }),
      }),
      fc.record({ type: fc.constant("url"), url: imageUrl().filter((url) => !url.startsWith("data:")) }),
      fc.record({ type: fc.constant("file"), file_id: fc.string({ minLength: 1, maxLength: 10 }) }),
    ),
  });
}

function documentBlock(): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      type: fc.constant("document"),
      source: fc.oneof(
        fc.record({ type: fc.constant("text"), media_type: fc.constant("text/plain"), data: text() }),
        fc.record({
          type: fc.constant("content"),
          content: fc.oneof(text(), fc.array(textBlock(), { maxLength: 2 })),
        }),
        fc.record({
          type: fc.constant("base64"),
          media_type: fc.constant("application/pdf"),
          data: fc.base64String({ maxLength: 20 }),
        }),
        fc.record({ type: fc.constant("url"), url: fc.constant("https://example.com/a.pdf") }),
      ),
      title: fc.string({ maxLength: 10 }),
      context: fc.string({ maxLength: 10 }),
    },
    { requiredKeys: ["type", "source"] },
  );
}

function toolUseBlock(): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({
    type: fc.constant("tool_use"),
    id: fc.constantFrom(...TOOL_CALL_IDS.filter((id) => /^[a-zA-Z0-9_-]+$/.test(id))),
    name: fc.constantFrom(...TOOL_NAMES),
    input: toolArguments(),
  });
}

function toolResultBlock(): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      type: fc.constant("tool_result"),
      tool_use_id: fc.constantFrom(...TOOL_CALL_IDS.filter((id) => /^[a-zA-Z0-9_-]+$/.test(id))),
      content: fc.oneof(
        text(),
        fc.array(fc.oneof(textBlock(), imageBlock(), documentBlock()), { maxLength: 3 }),
      ),
      is_error: fc.boolean(),
    },
    { requiredKeys: ["type", "tool_use_id"] },
  );
}

function thinkingBlock(): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof(
    fc.record({
      type: fc.constant("thinking"),
      thinking: text(),
      signature: fc.base64String({ maxLength: 20 }),
    }),
    fc.record({ type: fc.constant("redacted_thinking"), data: fc.base64String({ maxLength: 20 }) }),
  );
}

/** Blocks from Anthropic's server tools and newer betas: a decoder must drop them, not fail. */
function unknownBlock(): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({
    type: fc.constantFrom("server_tool_use", "web_search_tool_result", "container_upload", "mcp_tool_use"),
    id: fc.constant("srvtoolu_1"),
  });
}

function userContent(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 2, arbitrary: text() },
    {
      weight: 3,
      arbitrary: fc.array(
        fc.oneof(
          { weight: 4, arbitrary: textBlock() },
          { weight: 1, arbitrary: imageBlock() },
          { weight: 1, arbitrary: documentBlock() },
          { weight: 2, arbitrary: toolResultBlock() },
          { weight: 1, arbitrary: unknownBlock() },
        ),
        { maxLength: 4 },
      ),
    },
  );
}

function assistantContent(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 2, arbitrary: text() },
    {
      weight: 3,
      arbitrary: fc.array(
        fc.oneof(
          { weight: 1, arbitrary: thinkingBlock() },
          { weight: 3, arbitrary: textBlock() },
          { weight: 2, arbitrary: toolUseBlock() },
          { weight: 1, arbitrary: unknownBlock() },
        ),
        { maxLength: 4 },
      ),
    },
  );
}

function message(): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ role: fc.constant("user"), content: userContent() }) },
    { weight: 3, arbitrary: fc.record({ role: fc.constant("assistant"), content: assistantContent() }) },
    {
      weight: 1,
      arbitrary: fc.record({
        role: fc.constant("system"),
        content: fc.oneof(text(), fc.array(textBlock(), { maxLength: 2 })),
      }),
    },
  );
}

function tools(): fc.Arbitrary<Record<string, unknown>[]> {
  return fc.uniqueArray(fc.constantFrom(...TOOL_NAMES), { maxLength: 4 }).chain((names) =>
    fc.tuple(
      ...names.map((name) =>
        fc.oneof(
          {
            weight: 5,
            arbitrary: fc.record(
              {
                name: fc.constant(name),
                description: text(),
                input_schema: jsonSchema(),
                type: fc.constant("custom"),
                strict: fc.boolean(),
                cache_control: cacheControl,
              },
              { requiredKeys: ["name", "input_schema"] },
            ),
          },
          // A server tool: dropped by the decoder, so never a tool_choice target.
          {
            weight: 1,
            arbitrary: fc.constant({ name: `server_${name}`, type: "web_search_20250305", max_uses: 5 }),
          },
        ),
      ),
    ),
  );
}

function toolChoice(names: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const types = ["auto", "none", ...(names.length > 0 ? ["any"] : [])];
  return fc.oneof(
    fc.record(
      { type: fc.constantFrom(...types), disable_parallel_tool_use: fc.boolean() },
      { requiredKeys: ["type"] },
    ),
    ...(names.length > 0
      ? [
          fc.record(
            {
              type: fc.constant("tool"),
              name: fc.constantFrom(...names),
              disable_parallel_tool_use: fc.boolean(),
            },
            { requiredKeys: ["type", "name"] },
          ),
        ]
      : []),
  );
}

function fields(includeMaxTokens: boolean): fc.Arbitrary<Record<string, unknown>> {
  return tools().chain((toolList) => {
    const names = toolList
      .filter((tool) => tool["type"] !== "web_search_20250305")
      .map((tool) => tool["name"] as string);
    return fc.record(
      {
        model: modelId(),
        ...(includeMaxTokens
          ? { max_tokens: fc.oneof(fc.integer({ min: 1, max: 64_000 }), fc.constant(1)) }
          : {}),
        // Ends with a user turn that has text: a conversation where every turn is empty is refused.
        messages: fc
          .tuple(fc.array(message(), { maxLength: 5 }), someText())
          .map(([turns, last]) => [...turns, { role: "user", content: last }]),
        system: fc.oneof(
          text(),
          fc.array(
            fc.oneof(
              textBlock(),
              fc.constant({ type: "text", text: "x-anthropic-billing-header: cc_version=2.1.1; cch=abc" }),
            ),
            { maxLength: 3 },
          ),
        ),
        tools: fc.constant(toolList),
        tool_choice: toolChoice(names),
        thinking: fc.oneof(
          fc.record({ type: fc.constant("enabled"), budget_tokens: fc.integer({ min: 0, max: 64_000 }) }),
          fc.constant({ type: "disabled" }),
          fc.constant({ type: "adaptive" }),
        ),
        output_config: fc.record(
          {
            effort: fc.constantFrom("low", "medium", "high", "max", "ludicrous"),
            format: fc.record({ type: fc.constant("json_schema"), schema: jsonSchema() }),
          },
          { requiredKeys: [] },
        ),
        stop_sequences: stopSequences(8),
        temperature: fc.double({ min: 0, max: 1, noNaN: true }),
        top_p: fc.double({ min: 0, max: 1, noNaN: true }),
        top_k: fc.integer({ min: 0, max: 500 }),
        stream: fc.boolean(),
        metadata: fc.record({ user_id: someText() }),
        context_management: fc.constant({ edits: [] }),
        service_tier: fc.constantFrom("auto", "standard_only"),
      },
      // tool_choice may name a tool: the tools are then always there.
      {
        requiredKeys: [
          "model",
          "messages",
          ...(includeMaxTokens ? ["max_tokens" as const] : []),
          ...(toolList.length > 0 ? ["tools" as const] : []),
        ],
      },
    );
  });
}

/** A valid `POST /v1/messages` body. */
export function anthropicMessagesRequest(): fc.Arbitrary<Record<string, unknown>> {
  return fields(true);
}

/** A valid `POST /v1/messages/count_tokens` body. */
export function anthropicCountTokensRequest(): fc.Arbitrary<Record<string, unknown>> {
  return fields(false);
}
