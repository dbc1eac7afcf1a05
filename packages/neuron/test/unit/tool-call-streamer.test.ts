import type { ChatStreamEvent } from "@cortex/core";
import { describe, expect, it } from "vitest";
import { ToolCallStreamer } from "../../src/engine/llama-cpp/tool-call-streamer.js";

function streamer(): { events: ChatStreamEvent[]; streamer: ToolCallStreamer } {
  const events: ChatStreamEvent[] = [];
  let next = 0;
  return {
    events,
    streamer: new ToolCallStreamer(
      (event) => events.push(event),
      () => `call_${next++}`,
    ),
  };
}

function argumentsOf(events: readonly ChatStreamEvent[], index: number): string {
  return events
    .map((event) => (event.type === "tool-call-delta" && event.index === index ? event.argumentsDelta : ""))
    .join("");
}

describe("ToolCallStreamer", () => {
  it("never streams the grammar's trailing whitespace, and the deltas add up to the final arguments", () => {
    const { events, streamer: s } = streamer();
    for (const paramsChunk of ['{"city": ', '"Paris", ', '"unit": "c"}', "\n\n", "\n\n"]) {
      s.push({ callIndex: 0, functionName: "get_weather", paramsChunk });
    }
    const calls = s.finish([{ functionName: "get_weather", params: { city: "Paris", unit: "c" } }]);

    expect(events[0]).toEqual({ type: "tool-call-start", index: 0, id: "call_0", name: "get_weather" });
    const deltas = events.flatMap((event) =>
      event.type === "tool-call-delta" ? [event.argumentsDelta] : [],
    );
    for (const delta of deltas) expect(delta).toBe(delta.trimEnd());
    expect(calls).toEqual([
      { id: "call_0", name: "get_weather", arguments: '{"city": "Paris", "unit": "c"}' },
    ]);
    expect(argumentsOf(events, 0)).toBe(calls[0]?.arguments);
  });

  it("streams held-back whitespace once more text follows it", () => {
    const { events, streamer: s } = streamer();
    s.push({ callIndex: 0, functionName: "f", paramsChunk: '{"a": ' });
    s.push({ callIndex: 0, functionName: "f", paramsChunk: "1}" });
    expect(argumentsOf(events, 0)).toBe('{"a": 1}');
  });

  it("fills in a call that was never streamed", () => {
    const { events, streamer: s } = streamer();
    const calls = s.finish([{ functionName: "list_files", params: { path: "." } }]);
    expect(events).toEqual([
      { type: "tool-call-start", index: 0, id: "call_0", name: "list_files" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"path":"."}' },
    ]);
    expect(calls).toEqual([{ id: "call_0", name: "list_files", arguments: '{"path":"."}' }]);
  });

  it("completes a call whose streaming was cut short", () => {
    const { events, streamer: s } = streamer();
    s.push({ callIndex: 0, functionName: "f", paramsChunk: '{"a":' });
    const calls = s.finish([{ functionName: "f", params: { a: 1 } }]);
    expect(calls[0]?.arguments).toBe('{"a":1}');
    expect(argumentsOf(events, 0)).toBe('{"a":1}');
  });

  it("numbers parallel calls in the order they start, each with its own id", () => {
    const { events, streamer: s } = streamer();
    s.push({ callIndex: 0, functionName: "a", paramsChunk: "{}" });
    s.push({ callIndex: 1, functionName: "b", paramsChunk: "{}" });
    const calls = s.finish([
      { functionName: "a", params: {} },
      { functionName: "b", params: {} },
    ]);
    expect(calls.map((call) => [call.id, call.name, call.arguments])).toEqual([
      ["call_0", "a", "{}"],
      ["call_1", "b", "{}"],
    ]);
    expect(events.filter((event) => event.type === "tool-call-start").map((event) => event.index)).toEqual([
      0, 1,
    ]);
  });

  it("keeps a call cut off by max_tokens (streamed, missing from the result) with the text generated so far", () => {
    const { events, streamer: s } = streamer();
    s.push({ callIndex: 0, functionName: "get_weather", paramsChunk: '{"city": "Paris"}' });
    s.push({ callIndex: 1, functionName: "get_weather", paramsChunk: '{"city": " too' });
    s.push({ callIndex: 1, functionName: "get_weather", paramsChunk: "Your\n\n" });
    const calls = s.finish([{ functionName: "get_weather", params: { city: "Paris" } }]);
    expect(calls).toEqual([
      { id: "call_0", name: "get_weather", arguments: '{"city": "Paris"}' },
      { id: "call_1", name: "get_weather", arguments: '{"city": " tooYour' },
    ]);
    // What a streaming client received adds up to the same calls.
    expect([argumentsOf(events, 0), argumentsOf(events, 1)]).toEqual(calls.map((call) => call.arguments));
  });
});
