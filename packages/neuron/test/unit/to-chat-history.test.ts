import type { CanonicalMessage } from "@cortex/core";
import { describe, expect, it } from "vitest";
import { toChatHistory } from "../../src/engine/llama-cpp/to-chat-history.js";

describe("toChatHistory", () => {
  it("maps system, user and assistant turns", () => {
    const messages: CanonicalMessage[] = [
      { role: "system", content: "You are terse." },
      {
        role: "user",
        content: [
          { type: "text", text: "What is this?" },
          { type: "image", url: "data:image/png;base64,AAAA" },
        ],
      },
      { role: "assistant", content: "A cat.", reasoning: "Looks furry.", toolCalls: [] },
    ];
    expect(toChatHistory(messages)).toEqual([
      { type: "system", text: "You are terse." },
      { type: "user", text: "What is this?\n[image omitted: this model cannot see images]" },
      {
        type: "model",
        response: [{ type: "segment", segmentType: "thought", text: "Looks furry.", ended: true }, "A cat."],
      },
    ]);
  });

  it("folds tool calls and their results into one model item", () => {
    const messages: CanonicalMessage[] = [
      { role: "user", content: [{ type: "text", text: "Weather in Paris and Rome?" }] },
      {
        role: "assistant",
        content: "Checking.",
        toolCalls: [
          { id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
          { id: "call_2", name: "get_weather", arguments: '{"city":"Rome"}' },
        ],
      },
      { role: "tool", toolCallId: "call_1", content: '{"temp":21,"sky":"sunny"}' },
      { role: "tool", toolCallId: "call_2", content: "rainy, 14C" },
    ];
    expect(toChatHistory(messages)).toEqual([
      { type: "user", text: "Weather in Paris and Rome?" },
      {
        type: "model",
        response: [
          "Checking.",
          {
            type: "functionCall",
            name: "get_weather",
            params: { city: "Paris" },
            result: { temp: 21, sky: "sunny" },
          },
          { type: "functionCall", name: "get_weather", params: { city: "Rome" }, result: "rainy, 14C" },
        ],
      },
    ]);
  });

  it("marks error results and keeps unparseable arguments as text", () => {
    const messages: CanonicalMessage[] = [
      { role: "assistant", content: "", toolCalls: [{ id: "c", name: "run", arguments: "{not json" }] },
      { role: "tool", toolCallId: "c", content: "permission denied", isError: true },
    ];
    expect(toChatHistory(messages)).toEqual([
      {
        type: "model",
        response: [
          { type: "functionCall", name: "run", params: "{not json", result: "Error: permission denied" },
        ],
      },
    ]);
  });

  it("turns a tool result without its call into a user message", () => {
    const messages: CanonicalMessage[] = [
      { role: "user", content: [{ type: "text", text: "go" }] },
      { role: "tool", toolCallId: "call_lost", content: "42 files" },
    ];
    expect(toChatHistory(messages)).toEqual([
      { type: "user", text: "go" },
      { type: "user", text: "Result of tool call call_lost:\n42 files" },
    ]);
  });
});
