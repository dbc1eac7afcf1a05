import { describe, expect, it } from "vitest";
import type { CanonicalChatRequest } from "../../src/canonical/index.js";
import {
  decodeAnthropicCountTokensRequest,
  decodeAnthropicRequest,
  encodeOpenAIChatRequest,
} from "../../src/dialects/index.js";
import { CortexError } from "../../src/errors/index.js";
import { readJson } from "./fixtures.js";

/** One line per message and per tool: reviewable diffs for a 20 kB request. */
function canonicalLines(request: CanonicalChatRequest, warnings: readonly string[]): string {
  const { messages, tools, ...settings } = request;
  return (
    [
      JSON.stringify(settings),
      ...messages.map((message) => JSON.stringify(message)),
      ...tools.map((tool) => JSON.stringify(tool)),
      ...warnings.map((warning) => JSON.stringify({ warning })),
    ].join("\n") + "\n"
  );
}

function errorOf(body: unknown): CortexError {
  try {
    decodeAnthropicRequest(body);
  } catch (error) {
    if (error instanceof CortexError) return error;
    throw error;
  }
  throw new Error("expected the request to be rejected");
}

const base = { model: "claude-sonnet-5", max_tokens: 1024 };
const hi = { role: "user", content: "hi" };

describe("decodeAnthropicRequest: Claude Code golden", () => {
  const fixture = readJson("anthropic/claude-code-request.json");

  it("decodes the recorded Claude Code request", async () => {
    const { value, warnings } = decodeAnthropicRequest(fixture);
    await expect(canonicalLines(value, warnings)).toMatchFileSnapshot(
      "__snapshots__/anthropic-request/claude-code-request.canonical.jsonl",
    );
  });

  it("and encodes it for the neuron", async () => {
    const body = encodeOpenAIChatRequest(decodeAnthropicRequest(fixture).value);
    const { messages, tools, ...settings } = body;
    const lines =
      [settings, ...messages, ...(tools ?? [])].map((line) => JSON.stringify(line)).join("\n") + "\n";
    await expect(lines).toMatchFileSnapshot(
      "__snapshots__/anthropic-request/claude-code-request.neuron.jsonl",
    );
  });

  it("keeps the properties the checklist asks for", () => {
    const { value } = decodeAnthropicRequest(fixture);
    expect(value.messages.filter((message) => message.role === "system")).toHaveLength(1);
    expect(value.messages[0]).toEqual({
      role: "system",
      content:
        "You are Claude Code, Anthropic's official CLI for Claude.\n\n\nYou are an interactive CLI tool that helps users with software engineering tasks.",
    });
    expect(value.tools).toHaveLength(24);
    expect(
      value.tools.every((tool) => !("cache_control" in tool) && tool.parameters["$schema"] !== undefined),
    ).toBe(true);
    expect(value.reasoningEffort).toBe("high");
    expect(value.includeUsage).toBe(true);
    expect(value.maxTokens).toBe(32000);
    expect(JSON.stringify(value)).not.toContain("cache_control");
    expect(JSON.stringify(value)).not.toContain("sig_01HkQ9");
    expect(JSON.stringify(value)).not.toContain("billing-header");
  });
});

describe("decodeAnthropicRequest: mappings", () => {
  it("orders tool results before the rest of the turn and moves images to a user message", () => {
    const { value } = decodeAnthropicRequest({
      ...base,
      messages: [
        hi,
        {
          role: "assistant",
          content: [
            { type: "tool_use", id: "A", name: "Read", input: { p: 1 } },
            { type: "tool_use", id: "B", name: "Read", input: {} },
          ],
        },
        {
          role: "user",
          content: [
            {
              type: "tool_result",
              tool_use_id: "A",
              content: [
                { type: "text", text: "one" },
                { type: "image", source: { type: "url", url: "https://x/a.png" } },
              ],
            },
            { type: "tool_result", tool_use_id: "B", content: "two", is_error: true },
            { type: "text", text: "T" },
          ],
        },
      ],
      tools: [{ name: "Read", input_schema: { type: "object" } }],
    });
    expect(value.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: "",
        toolCalls: [
          { id: "A", name: "Read", arguments: '{"p":1}' },
          { id: "B", name: "Read", arguments: "{}" },
        ],
      },
      {
        role: "tool",
        toolCallId: "A",
        content: "one\n[1 image from this tool result attached to the next user message]",
      },
      { role: "tool", toolCallId: "B", content: "Error: two", isError: true },
      {
        role: "user",
        content: [
          { type: "text", text: "Image from tool result A:" },
          { type: "image", url: "https://x/a.png" },
          { type: "text", text: "T" },
        ],
      },
    ]);
  });

  it("merges consecutive same-role turns and drops empty text blocks", () => {
    const { value } = decodeAnthropicRequest({
      ...base,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "a" },
            { type: "text", text: " " },
          ],
        },
        { role: "user", content: "b" },
        { role: "assistant", content: [{ type: "text", text: "" }] },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "t", signature: "" },
            { type: "text", text: "c" },
          ],
        },
        { role: "assistant", content: "d" },
      ],
    });
    expect(value.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "a" },
          { type: "text", text: "b" },
        ],
      },
      { role: "assistant", content: "c\n\nd", reasoning: "t", toolCalls: [] },
    ]);
  });

  it("folds mid-conversation system turns into <system-reminder> user text and a leading one into the system prompt", () => {
    const { value, warnings } = decodeAnthropicRequest({
      ...base,
      system: "S",
      messages: [
        { role: "system", content: "S2" },
        hi,
        { role: "system", content: [{ type: "text", text: "R" }] },
      ],
    });
    expect(value.messages).toEqual([
      { role: "system", content: "S\n\nS2" },
      {
        role: "user",
        content: [
          { type: "text", text: "hi" },
          { type: "text", text: "<system-reminder>\nR\n</system-reminder>" },
        ],
      },
    ]);
    expect(warnings).toEqual([
      "messages[2]: mid-conversation system message sent as a <system-reminder> user text",
    ]);
  });

  it("turns documents into text or placeholders and drops what it cannot use, with warnings", () => {
    const { value, warnings } = decodeAnthropicRequest({
      ...base,
      messages: [
        {
          role: "user",
          content: [
            {
              type: "document",
              title: "notes",
              source: { type: "text", media_type: "text/plain", data: "N" },
            },
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" } },
            { type: "search_result", source: "x", title: "t", content: [] },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "redacted_thinking", data: "xx" },
            { type: "server_tool_use", id: "s", name: "web_search", input: {} },
            { type: "text", text: "ok" },
          ],
        },
      ],
      tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 5 }],
    });
    expect(value.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "# notes\n\nN" },
          {
            type: "text",
            text: "[document (application/pdf) omitted: this server cannot read base64 documents]",
          },
        ],
      },
      { role: "assistant", content: "ok", toolCalls: [] },
    ]);
    expect(value.tools).toEqual([]);
    expect(warnings).toEqual([
      'tools[0]: server tool "web_search_20250305" (web_search) is not supported; dropped',
      "messages[0].content[1]: base64 documents are not supported; replaced with a placeholder text",
      "messages[0].content[2]: search_result blocks are not supported in user turns; dropped",
      "messages[1].content[0]: redacted_thinking blocks are not supported in assistant turns; dropped",
      "messages[1].content[1]: server_tool_use blocks are not supported in assistant turns; dropped",
    ]);
  });

  it.each([
    [undefined, undefined, undefined],
    [{ type: "disabled" }, "high", "none"],
    [{ type: "enabled", budget_tokens: 1024 }, undefined, "low"],
    [{ type: "enabled", budget_tokens: 16384 }, undefined, "medium"],
    [{ type: "enabled", budget_tokens: 31999 }, undefined, "high"],
    [{ type: "adaptive" }, undefined, undefined],
    [{ type: "adaptive", display: "summarized" }, "max", "max"],
    [undefined, "low", "low"],
  ])("thinking %j with effort %s → %s", (thinking, effort, expected) => {
    const { value } = decodeAnthropicRequest({
      ...base,
      messages: [hi],
      ...(thinking ? { thinking } : {}),
      ...(effort ? { output_config: { effort } } : {}),
    });
    expect(value.reasoningEffort).toBe(expected);
  });

  it("maps tool_choice, sampling, stop sequences and structured output", () => {
    const { value } = decodeAnthropicRequest({
      ...base,
      messages: [hi],
      tools: [
        { name: "t", input_schema: { type: "object" }, cache_control: { type: "ephemeral" }, strict: true },
      ],
      tool_choice: { type: "tool", name: "t", disable_parallel_tool_use: true },
      stop_sequences: ["\n\nHuman:"],
      temperature: 1,
      top_p: 0.9,
      top_k: 40,
      output_config: {
        format: {
          type: "json_schema",
          schema: { type: "object", properties: { title: { type: "string" } } },
        },
      },
      stream: true,
      metadata: { user_id: '{"device_id":"d"}' },
    });
    expect(value).toMatchObject({
      tools: [{ name: "t", parameters: { type: "object" }, strict: true }],
      toolChoice: { type: "tool", name: "t" },
      parallelToolCalls: false,
      stop: ["\n\nHuman:"],
      temperature: 1,
      topP: 0.9,
      topK: 40,
      responseFormat: { type: "json_schema", name: "structured_output" },
      stream: true,
    });
    expect(
      decodeAnthropicRequest({
        ...base,
        messages: [hi],
        tools: [{ name: "t", input_schema: {} }],
        tool_choice: { type: "any" },
      }).value.toolChoice,
    ).toEqual({
      type: "required",
    });
  });

  it.each([
    [{ model: "m", messages: [hi] }, "max_tokens", "max_tokens: Field required"],
    [{ max_tokens: 5, messages: [hi] }, "model", "model: Field required"],
    [{ model: "m", max_tokens: 5 }, "messages", "messages: Field required"],
    [
      { ...base, messages: [{ role: "tool", content: "x" }] },
      "messages[0].role",
      'messages[0].role: Invalid option: expected one of "user"|"assistant"|"system"',
    ],
    [
      { ...base, messages: [{ role: "user", content: [{ type: "text", text: 5 }] }] },
      "messages[0].content[0].text",
      "messages[0].content[0].text: Invalid input: expected string, received number",
    ],
    [
      { ...base, messages: [{ role: "user", content: [{ type: "tool_result" }] }] },
      "messages[0].content[0].tool_use_id",
      "messages[0].content[0].tool_use_id: Field required",
    ],
    [
      { ...base, messages: [hi], tool_choice: { type: "sometimes" } },
      "tool_choice.type",
      'tool_choice.type: Invalid option: expected one of "auto"|"any"|"tool"|"none"',
    ],
    [
      { ...base, messages: [hi], tool_choice: { type: "any" } },
      "tool_choice",
      'tool_choice: type "any" requires tools to be specified',
    ],
    [
      {
        ...base,
        messages: [hi],
        tools: [{ name: "a", input_schema: {} }],
        tool_choice: { type: "tool", name: "b" },
      },
      "tool_choice.name",
      'tool_choice.name: no tool named "b" in tools',
    ],
    [
      { ...base, messages: [hi], tools: [{ name: "a" }] },
      "tools[0].input_schema",
      "tools[0].input_schema: Field required",
    ],
    [
      { ...base, messages: [hi], temperature: 1.5 },
      "temperature",
      "temperature: Too big: expected number to be <=1",
    ],
    [
      { ...base, messages: [hi], thinking: { type: "enabled" } },
      "thinking.budget_tokens",
      "thinking.budget_tokens: Field required",
    ],
  ])("rejects %j naming %s", (body, param, message) => {
    const error = errorOf(body);
    expect({ code: error.code, param: error.param, message: error.message }).toEqual({
      code: "invalid_request",
      param,
      message,
    });
  });

  it("accepts unknown top-level fields, beta fields and cache_control everywhere", () => {
    expect(() =>
      decodeAnthropicRequest({
        ...base,
        messages: [
          {
            role: "user",
            content: [
              {
                type: "text",
                text: "x",
                cache_control: { type: "ephemeral", ttl: "1h", scope: "global" },
                citations: [],
              },
            ],
          },
        ],
        context_management: { edits: [] },
        service_tier: "auto",
        speed: "fast",
        container: null,
        diagnostics: {},
        brand_new_field: 1,
      }),
    ).not.toThrow();
  });
});

describe("decodeAnthropicRequest: stop sequence caps", () => {
  it("refuses more than 16 stop sequences or one longer than 256 characters, naming stop_sequences", () => {
    const messages = [hi];
    const many = Array.from({ length: 17 }, (_, i) => `s${i}`);
    expect(errorOf({ ...base, messages, stop_sequences: many })).toMatchObject({
      code: "invalid_request",
      param: "stop_sequences",
    });
    expect(errorOf({ ...base, messages, stop_sequences: ["z".repeat(257)] }).param).toBe("stop_sequences");
    expect(
      decodeAnthropicRequest({ ...base, messages, stop_sequences: many.slice(0, 16) }).value.stop,
    ).toHaveLength(16);
  });
});

describe("decodeAnthropicCountTokensRequest", () => {
  it("needs no max_tokens and never streams", () => {
    const { value } = decodeAnthropicCountTokensRequest({
      model: "claude-sonnet-5",
      messages: [{ role: "user", content: "foo" }],
      tools: [{ name: "Read", input_schema: { type: "object" } }],
      stream: true,
    });
    expect(value.maxTokens).toBeUndefined();
    expect(value.stream).toBe(false);
    expect(value.tools).toHaveLength(1);
  });
});

/**
 * Requests the gateway used to accept and route (a cold load, maybe an eviction) only for the neuron to
 * refuse them, with an error naming OpenAI fields the client never sent. Found by the request-decoder
 * property test (test/fuzz/request-decoders-fuzz.test.ts); each input is its shrunk counterexample.
 */
describe("decodeAnthropicRequest: refuses at the gateway what the neuron would refuse", () => {
  const rejected = (decode: () => unknown): { param: string | undefined; message: string } => {
    try {
      decode();
    } catch (error) {
      if (!(error instanceof CortexError)) throw error;
      expect(error.status).toBe(400);
      return { param: error.param, message: error.message };
    }
    throw new Error("expected the request to be rejected");
  };

  it("a request without messages (the neuron said `messages: Too small`)", () => {
    const body = { model: "fuzz-model", max_tokens: 1, messages: [] };
    expect(rejected(() => decodeAnthropicRequest(body))).toEqual({
      param: "messages",
      message: "messages: at least one message is required",
    });
    expect(rejected(() => decodeAnthropicCountTokensRequest(body)).param).toBe("messages");
  });

  it("a request whose only turn has no content (an empty assistant turn, an empty user turn)", () => {
    for (const messages of [
      [{ role: "assistant", content: [] }],
      [{ role: "user", content: [] }],
      [{ role: "user", content: [{ type: "text", text: " " }] }],
    ]) {
      const body = { model: "fuzz-model", max_tokens: 1, messages };
      expect(rejected(() => decodeAnthropicRequest(body))).toEqual({
        param: "messages",
        message: "messages: no message has any content",
      });
      expect(rejected(() => decodeAnthropicCountTokensRequest(body)).param).toBe("messages");
    }
  });

  it("max_tokens 0 (node-llama-cpp reads 0 as no limit; the neuron said `max_tokens: Too small`)", () => {
    expect(rejected(() => decodeAnthropicRequest({ ...base, max_tokens: 0, messages: [hi] }))).toEqual({
      param: "max_tokens",
      message: "max_tokens: Too small: expected number to be >=1",
    });
  });

  it("a tool name outside Anthropic's ^[a-zA-Z0-9_-]{1,128}$ (the neuron named tools[0].function.name)", () => {
    for (const name of ["my tool", "x".repeat(129), "a/b"]) {
      const body = { ...base, messages: [hi], tools: [{ name, input_schema: {} }] };
      expect(rejected(() => decodeAnthropicRequest(body))).toEqual({
        param: "tools[0].name",
        message: `tools[0].name: must match ^[a-zA-Z0-9_-]{1,128}$, got ${JSON.stringify(name)}`,
      });
    }
  });

  it("an image that is not an http(s) URL or base64 image data (the neuron named an image_url.url)", () => {
    const image = (source: object) => ({ type: "image", source });
    const cases: [unknown[], string, string][] = [
      [
        [image({ type: "base64", media_type: "text/plain", data: "AAAA" })],
        "messages[0].content[0].source.media_type",
        'must be an image type (image/…), got "text/plain"',
      ],
      [
        [image({ type: "url", url: "file:///etc/passwd" })],
        "messages[0].content[0].source.url",
        'must be an http(s) URL, got "file:///etc/passwd"',
      ],
      [
        [{ type: "tool_result", tool_use_id: "x", content: [image({ type: "url", url: "ftp://x" })] }],
        "messages[0].content[0].content[0].source.url",
        'must be an http(s) URL, got "ftp://x"',
      ],
    ];
    for (const [content, param, problem] of cases) {
      const body = { ...base, messages: [{ role: "user", content }] };
      expect(rejected(() => decodeAnthropicRequest(body))).toEqual({
        param,
        message: `${param}: ${problem}`,
      });
    }
  });
});
