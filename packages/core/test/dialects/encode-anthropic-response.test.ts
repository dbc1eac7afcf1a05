import { partialParse } from "@anthropic-ai/sdk/_vendor/partial-json-parser/parser";
import { describe, expect, it } from "vitest";
import type { CanonicalChatResponse, ToolCall, UnifiedFinishReason } from "../../src/canonical/index.js";
import {
  createAnthropicStreamEncoder,
  createOpenAIStreamDecoder,
  encodeAnthropicResponse,
} from "../../src/dialects/index.js";
import { readJsonl } from "./fixtures.js";

const newId = (prefix: string) => `${prefix}0001`;
const options = { requestedModel: "claude-haiku-4-5-20251001", newId };

const response: CanonicalChatResponse = {
  id: "chatcmpl-1",
  model: "qwen3-8b",
  created: 1,
  text: "Reading both.",
  reasoning: "Two files.",
  toolCalls: [
    { id: "functions.Read:0", name: "Read", arguments: '{"file_path":"/a"}' },
    { id: "", name: "Read", arguments: '{"file_path":"/b"' },
  ],
  finishReason: { unified: "stop", raw: "stop" },
  usage: { promptTokens: 1200, completionTokens: 40, cachedPromptTokens: 1000 },
};

describe("encodeAnthropicResponse", () => {
  it("orders thinking, text, tool_use; normalises ids; repairs nothing silently", () => {
    const { value, warnings } = encodeAnthropicResponse(response, options);
    expect(value).toMatchInlineSnapshot(`
      {
        "content": [
          {
            "signature": "sig_0001",
            "thinking": "Two files.",
            "type": "thinking",
          },
          {
            "text": "Reading both.",
            "type": "text",
          },
          {
            "id": "functions_Read_0",
            "input": {
              "file_path": "/a",
            },
            "name": "Read",
            "type": "tool_use",
          },
          {
            "id": "toolu_0001",
            "input": {},
            "name": "Read",
            "type": "tool_use",
          },
        ],
        "id": "msg_0001",
        "model": "claude-haiku-4-5-20251001",
        "role": "assistant",
        "stop_reason": "tool_use",
        "stop_sequence": null,
        "type": "message",
        "usage": {
          "cache_creation": {
            "ephemeral_1h_input_tokens": 0,
            "ephemeral_5m_input_tokens": 0,
          },
          "cache_creation_input_tokens": 0,
          "cache_read_input_tokens": 1000,
          "input_tokens": 200,
          "output_tokens": 40,
          "server_tool_use": null,
          "service_tier": "standard",
        },
      }
    `);
    expect(warnings).toEqual(["tool call 1 (Read): arguments are not valid JSON; sent {}"]);
  });

  it("never sends an empty or whitespace text block, and never zero blocks", () => {
    const empty = { ...response, text: " \n", reasoning: undefined, toolCalls: [] } as CanonicalChatResponse;
    expect(encodeAnthropicResponse(empty, options).value.content).toEqual([
      { type: "text", text: "(no content)" },
    ]);
    const thinkingOnly = { ...empty, reasoning: "hmm", finishReason: { unified: "length" as const } };
    expect(encodeAnthropicResponse(thinkingOnly, options).value.content.map((block) => block.type)).toEqual([
      "thinking",
    ]);
  });

  it.each([
    ["stop", undefined, "end_turn", null],
    ["length", undefined, "max_tokens", null],
    ["tool_calls", undefined, "end_turn", null],
    ["stop_sequence", "END", "stop_sequence", "END"],
    ["stop_sequence", undefined, "end_turn", null],
    ["content_filter", undefined, "end_turn", null],
    ["error", undefined, "end_turn", null],
  ] as const)(
    "maps %s (sequence %s) to %s",
    (unified: UnifiedFinishReason, stopSequence, stopReason, sequence) => {
      const { value } = encodeAnthropicResponse(
        { ...response, toolCalls: [], finishReason: { unified }, ...(stopSequence ? { stopSequence } : {}) },
        options,
      );
      expect([value.stop_reason, value.stop_sequence]).toEqual([stopReason, sequence]);
    },
  );

  it("keeps a tool call cut off by max_tokens with its complete members, as a stream of it reads in the SDK", () => {
    // A real neuron's stream: two parallel calls, the second cut off by max_tokens: 64.
    const decoder = createOpenAIStreamDecoder();
    const events = [
      ...readJsonl("openai-streams/neuron-tool-calls-cut-by-max-tokens.jsonl").flatMap((c) =>
        decoder.push(c),
      ),
      ...decoder.end(),
    ];
    const calls: ToolCall[] = [];
    for (const event of events) {
      if (event.type === "tool-call-start") calls.push({ id: event.id, name: event.name, arguments: "" });
      if (event.type === "tool-call-delta") calls[event.index]!.arguments += event.argumentsDelta;
    }
    const cut: CanonicalChatResponse = {
      ...response,
      text: "",
      reasoning: undefined,
      toolCalls: calls,
      finishReason: { unified: "length", raw: "length" },
    } as CanonicalChatResponse;
    const { value, warnings } = encodeAnthropicResponse(cut, options);
    expect(value.stop_reason).toBe("max_tokens");
    expect(warnings).toEqual([]);

    // The same reply streamed: what the Anthropic SDK's MessageStream assembles from input_json_delta.
    const encoder = createAnthropicStreamEncoder({ requestedModel: "m", messageId: "msg_1", newId });
    const streamed = [...events.flatMap((event) => encoder.push(event)), ...encoder.finish()];
    const json = new Map<number, string>();
    for (const event of streamed) {
      if (event.event === "content_block_delta" && event.data.delta.type === "input_json_delta")
        json.set(event.data.index, (json.get(event.data.index) ?? "") + event.data.delta.partial_json);
    }
    expect(streamed.find((event) => event.event === "message_delta")?.data).toMatchObject({
      delta: { stop_reason: "max_tokens" },
    });
    expect(value.content).toHaveLength(2);
    expect(value.content.map((block) => (block.type === "tool_use" ? block.input : undefined))).toEqual(
      [...json.values()].map((text) => partialParse(text) as unknown),
    );
  });
});
