import { describe, expect, it } from "vitest";
import type { CanonicalChatRequest, CanonicalChatResponse } from "../../src/canonical/index.js";
import {
  decodeOpenAIChatRequest,
  decodeOpenAIChatResponse,
  encodeOpenAIChatRequest,
  encodeOpenAIChatResponse,
} from "../../src/dialects/index.js";

const request: CanonicalChatRequest = {
  model: "qwen3-8b",
  messages: [
    { role: "system", content: "sys" },
    {
      role: "user",
      content: [
        { type: "text", text: "look" },
        { type: "image", url: "https://example.com/a.png" },
      ],
    },
    {
      role: "assistant",
      content: "",
      reasoning: "hmm",
      toolCalls: [{ id: "call_1", name: "f", arguments: "{}" }],
    },
    { role: "tool", toolCallId: "call_1", content: "Error: boom", isError: true },
    { role: "user", content: [{ type: "text", text: "again" }] },
  ],
  tools: [{ name: "f", parameters: { type: "object" } }],
  toolChoice: { type: "required" },
  parallelToolCalls: false,
  maxTokens: 64,
  stop: ["a", "b", "c", "d", "e"],
  temperature: 0.5,
  topK: 20,
  responseFormat: { type: "json_object" },
  reasoningEffort: "high",
  stream: true,
  includeUsage: false,
};

describe("encodeOpenAIChatRequest", () => {
  it("builds a neuron body: null content beside tool calls, top_k extension, usage always requested", () => {
    expect(encodeOpenAIChatRequest(request)).toMatchInlineSnapshot(`
      {
        "max_tokens": 64,
        "messages": [
          {
            "content": "sys",
            "role": "system",
          },
          {
            "content": [
              {
                "text": "look",
                "type": "text",
              },
              {
                "image_url": {
                  "url": "https://example.com/a.png",
                },
                "type": "image_url",
              },
            ],
            "role": "user",
          },
          {
            "content": null,
            "reasoning_content": "hmm",
            "role": "assistant",
            "tool_calls": [
              {
                "function": {
                  "arguments": "{}",
                  "name": "f",
                },
                "id": "call_1",
                "type": "function",
              },
            ],
          },
          {
            "content": "Error: boom",
            "role": "tool",
            "tool_call_id": "call_1",
          },
          {
            "content": "again",
            "role": "user",
          },
        ],
        "model": "qwen3-8b",
        "parallel_tool_calls": false,
        "reasoning_effort": "high",
        "response_format": {
          "type": "json_object",
        },
        "stop": [
          "a",
          "b",
          "c",
          "d",
          "e",
        ],
        "stream": true,
        "stream_options": {
          "include_usage": true,
        },
        "temperature": 0.5,
        "tool_choice": "required",
        "tools": [
          {
            "function": {
              "name": "f",
              "parameters": {
                "type": "object",
              },
            },
            "type": "function",
          },
        ],
        "top_k": 20,
      }
    `);
  });

  it("round-trips through the neuron's decoder (isError travels as the content prefix)", () => {
    const decoded = decodeOpenAIChatRequest(encodeOpenAIChatRequest(request));
    const { isError: _ignored, ...tool } = request.messages[3] as Extract<
      (typeof request.messages)[number],
      { role: "tool" }
    >;
    expect(decoded.value).toEqual({
      ...request,
      messages: [...request.messages.slice(0, 3), tool, ...request.messages.slice(4)],
      includeUsage: true,
    });
    expect(decoded.warnings).toEqual([]);
  });

  it("omits tool fields without tools and can name max_completion_tokens", () => {
    const body = encodeOpenAIChatRequest(
      { ...request, tools: [], stream: false, responseFormat: { type: "text" } },
      { maxTokensField: "max_completion_tokens" },
    );
    expect(body).not.toHaveProperty("tools");
    expect(body).not.toHaveProperty("tool_choice");
    expect(body).not.toHaveProperty("stream_options");
    expect(body).not.toHaveProperty("response_format");
    expect(body).toMatchObject({ max_completion_tokens: 64 });
  });
});

const response: CanonicalChatResponse = {
  id: "chatcmpl-1",
  model: "qwen3-8b",
  created: 1764201600,
  text: "one, two",
  finishReason: { unified: "stop_sequence" },
  stopSequence: "three",
  toolCalls: [],
  usage: { promptTokens: 10, completionTokens: 4, cachedPromptTokens: 8 },
};

describe("encodeOpenAIChatResponse", () => {
  it("reports a matched stop sequence as stop + vLLM's stop_reason", () => {
    expect(encodeOpenAIChatResponse(response)).toMatchInlineSnapshot(`
      {
        "choices": [
          {
            "finish_reason": "stop",
            "index": 0,
            "logprobs": null,
            "message": {
              "content": "one, two",
              "refusal": null,
              "role": "assistant",
            },
            "stop_reason": "three",
          },
        ],
        "created": 1764201600,
        "id": "chatcmpl-1",
        "model": "qwen3-8b",
        "object": "chat.completion",
        "system_fingerprint": null,
        "usage": {
          "completion_tokens": 4,
          "prompt_tokens": 10,
          "prompt_tokens_details": {
            "cached_tokens": 8,
          },
          "total_tokens": 14,
        },
      }
    `);
  });

  it("sends null content and tool_calls when the model only called tools", () => {
    const body = encodeOpenAIChatResponse({
      ...response,
      text: "",
      reasoning: "r",
      finishReason: { unified: "stop" },
      toolCalls: [{ id: "call_1", name: "f", arguments: '{"a":1}' }],
    });
    expect(body.choices[0].message).toEqual({
      role: "assistant",
      content: null,
      refusal: null,
      reasoning_content: "r",
      tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: '{"a":1}' } }],
    });
    expect(body.choices[0].finish_reason).toBe("tool_calls");
  });

  it.each([
    ["stop", "stop"],
    ["length", "length"],
    ["tool_calls", "tool_calls"],
    ["content_filter", "content_filter"],
    ["error", "stop"],
  ] as const)("maps %s to %s", (unified, wire) => {
    expect(
      encodeOpenAIChatResponse({ ...response, finishReason: { unified } }).choices[0].finish_reason,
    ).toBe(wire);
  });

  it("round-trips through decodeOpenAIChatResponse", () => {
    expect(decodeOpenAIChatResponse(encodeOpenAIChatResponse(response))).toEqual({
      ...response,
      finishReason: { unified: "stop_sequence", raw: "stop" },
    });
  });
});

describe("decodeOpenAIChatResponse", () => {
  it("is lenient: object arguments, missing ids, `reasoning`, missing usage; forces tool_calls", () => {
    expect(
      decodeOpenAIChatResponse({
        id: "r-1",
        model: "m",
        choices: [
          {
            message: {
              content: null,
              reasoning: "why",
              tool_calls: [{ function: { name: "f", arguments: { a: 1 } } }],
            },
            finish_reason: "stop",
          },
        ],
      }),
    ).toEqual({
      id: "r-1",
      model: "m",
      created: 0,
      text: "",
      reasoning: "why",
      toolCalls: [{ id: "call_r-1_0", name: "f", arguments: '{"a":1}' }],
      finishReason: { unified: "tool_calls", raw: "stop" },
      usage: { promptTokens: 0, completionTokens: 0 },
    });
  });

  it("throws the backend's error", () => {
    expect(() => decodeOpenAIChatResponse({ error: { message: "nope", code: "model_not_found" } })).toThrow(
      expect.objectContaining({ code: "model_not_found", message: "nope" }),
    );
    expect(() => decodeOpenAIChatResponse({ choices: [] })).toThrow(
      expect.objectContaining({ code: "upstream_error" }),
    );
  });
});
