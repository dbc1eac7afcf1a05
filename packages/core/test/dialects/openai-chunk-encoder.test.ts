import { describe, expect, it } from "vitest";
import type { ChatStreamEvent } from "../../src/canonical/index.js";
import {
  createOpenAIChunkEncoder,
  createOpenAICompletionChunkEncoder,
  createOpenAIStreamDecoder,
  type OpenAIChatChunk,
} from "../../src/dialects/index.js";
import { toJsonl } from "./fixtures.js";

const options = { id: "chatcmpl-1", model: "qwen3-8b", created: 1764201600 };

const toolTurn: ChatStreamEvent[] = [
  { type: "start", id: "chatcmpl-1", model: "qwen3-8b", created: 1764201600 },
  { type: "reasoning-delta", text: "Need the file." },
  { type: "text-delta", text: "" },
  { type: "text-delta", text: "Reading." },
  { type: "tool-call-start", index: 0, id: "call_1", name: "Read" },
  { type: "tool-call-delta", index: 0, argumentsDelta: '{"file_path":' },
  { type: "tool-call-delta", index: 0, argumentsDelta: '"/a"}' },
  { type: "finish", finishReason: { unified: "stop" } },
  { type: "usage", usage: { promptTokens: 20, completionTokens: 9 } },
];

function encodeAll(events: readonly ChatStreamEvent[], includeUsage: boolean): unknown[] {
  const encoder = createOpenAIChunkEncoder({ ...options, includeUsage });
  return events.flatMap((event) => encoder.encode(event));
}

describe("createOpenAIChunkEncoder", () => {
  it("encodes a tool turn with usage the way the openai SDK and Zed parse it", async () => {
    await expect(toJsonl(encodeAll(toolTurn, true))).toMatchFileSnapshot(
      "__snapshots__/openai-chunk-encoder/tool-turn-with-usage.jsonl",
    );
  });

  it("starts a reply that opens with a tool call with content null, as OpenAI does (no empty text part)", async () => {
    const events: ChatStreamEvent[] = [
      { type: "start", id: "chatcmpl-1", model: "qwen3-8b", created: 1764201600 },
      { type: "tool-call-start", index: 0, id: "call_1", name: "get_weather" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"city":"Paris"}' },
      { type: "finish", finishReason: { unified: "tool_calls" } },
      { type: "usage", usage: { promptTokens: 20, completionTokens: 9 } },
    ];
    const chunks = encodeAll(events, false) as OpenAIChatChunk[];
    expect(chunks[0]?.choices[0]?.delta).toEqual({
      role: "assistant",
      content: null,
      tool_calls: [
        { index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: "" } },
      ],
    });
    expect(chunks.some((chunk) => chunk.choices[0]?.delta.content === "")).toBe(false);
    await expect(toJsonl(encodeAll(events, true))).toMatchFileSnapshot(
      "__snapshots__/openai-chunk-encoder/tool-call-first.jsonl",
    );
  });

  it("opens with a prompt_usage chunk only when include_prompt_usage asked for it (neuron protocol)", () => {
    const start: ChatStreamEvent = {
      type: "start",
      id: "chatcmpl-1",
      model: "qwen3-8b",
      created: 1764201600,
      usage: { promptTokens: 214, completionTokens: 0, cachedPromptTokens: 200 },
    };
    const asked = createOpenAIChunkEncoder({ ...options, includeUsage: true, includePromptUsage: true });
    expect(asked.encode(start)).toEqual([
      {
        id: "chatcmpl-1",
        object: "chat.completion.chunk",
        created: 1764201600,
        model: "qwen3-8b",
        choices: [],
        usage: null,
        prompt_usage: {
          prompt_tokens: 214,
          completion_tokens: 0,
          total_tokens: 214,
          prompt_tokens_details: { cached_tokens: 200 },
        },
      },
    ]);
    expect(createOpenAIChunkEncoder({ ...options, includeUsage: true }).encode(start)).toEqual([]);
    // Decoded back (the gateway), the usage rides on the start event.
    const [chunk] = createOpenAIChunkEncoder({
      ...options,
      includeUsage: false,
      includePromptUsage: true,
    }).encode(start);
    expect(createOpenAIStreamDecoder().push(chunk)).toEqual([start]);
  });

  it("has no usage field at all without include_usage", () => {
    const chunks = encodeAll(toolTurn, false);
    expect(chunks.every((chunk) => !Object.hasOwn(chunk as object, "usage"))).toBe(true);
    expect(chunks).toHaveLength(6);
  });

  it("sends the role chunk first even when a delta comes before start, and reports a stop sequence", () => {
    const chunks = encodeAll(
      [
        { type: "text-delta", text: "a" },
        { type: "finish", finishReason: { unified: "stop_sequence" }, stopSequence: "END" },
        { type: "text-delta", text: "dropped after finish" },
      ],
      false,
    );
    expect(chunks.map((chunk) => (chunk as { choices: unknown[] }).choices[0])).toEqual([
      { index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null },
      { index: 0, delta: { content: "a" }, logprobs: null, finish_reason: null },
      { index: 0, delta: {}, logprobs: null, finish_reason: "stop", stop_reason: "END" },
    ]);
  });

  it("turns an error into an OpenAI error chunk and then goes quiet", () => {
    const encoder = createOpenAIChunkEncoder({ ...options, includeUsage: true });
    encoder.encode(toolTurn[0]!);
    expect(
      encoder.encode({
        type: "error",
        code: "context_length_exceeded",
        message: "prompt is too long: 9 tokens > 8 maximum",
      }),
    ).toEqual([
      {
        error: {
          message: "prompt is too long: 9 tokens > 8 maximum",
          type: "invalid_request_error",
          param: "messages",
          code: "context_length_exceeded",
        },
      },
    ]);
    expect(encoder.encode({ type: "usage", usage: { promptTokens: 1, completionTokens: 1 } })).toEqual([]);
    const unknown = createOpenAIChunkEncoder({ ...options, includeUsage: false });
    expect(unknown.encode({ type: "error", code: "weird", message: "m" })).toEqual([
      { error: { message: "m", type: "server_error", param: null, code: "weird" } },
    ]);
  });

  it("drops fragments of a tool call that never started", () => {
    expect(encodeAll([{ type: "tool-call-delta", index: 3, argumentsDelta: "{}" }], false)).toEqual([]);
  });
});

describe("createOpenAICompletionChunkEncoder", () => {
  it("encodes text_completion chunks with a final usage chunk", async () => {
    const encoder = createOpenAICompletionChunkEncoder({ ...options, id: "cmpl-1", includeUsage: true });
    const chunks = toolTurn.flatMap((event) => encoder.encode(event));
    await expect(toJsonl(chunks)).toMatchFileSnapshot(
      "__snapshots__/openai-chunk-encoder/completion-with-usage.jsonl",
    );
  });
});
