import { describe, expect, it } from "vitest";
import type { ChatStreamEvent } from "../../src/canonical/index.js";
import { createOpenAIChunkEncoder, createOpenAIStreamDecoder } from "../../src/dialects/index.js";
import { fixtureNames, readJsonl, toJsonl } from "./fixtures.js";

function decode(chunks: readonly unknown[]): ChatStreamEvent[] {
  const decoder = createOpenAIStreamDecoder();
  return [...chunks.flatMap((chunk) => decoder.push(chunk)), ...decoder.end()];
}

describe("createOpenAIStreamDecoder", () => {
  for (const name of fixtureNames("openai-streams")) {
    it(`decodes ${name}`, async () => {
      const events = decode(readJsonl(`openai-streams/${name}`));
      await expect(toJsonl(events)).toMatchFileSnapshot(`__snapshots__/openai-stream-decoder/${name}`);
    });
  }

  it("forces tool_calls when the backend said stop after a tool call", () => {
    const events = decode(readJsonl("openai-streams/empty-text-block.jsonl"));
    expect(events.find((event) => event.type === "finish")).toEqual({
      type: "finish",
      finishReason: { unified: "tool_calls", raw: "stop" },
    });
  });

  it("never lets a delta of an earlier call follow the start of a later one", () => {
    const events = decode(readJsonl("openai-streams/interleaved-parallel-tool-calls.jsonl"));
    let latest = -1;
    for (const event of events) {
      if (event.type === "tool-call-start") latest = event.index;
      if (event.type === "tool-call-delta") expect(event.index).toBe(latest);
    }
    const args = ["", ""];
    for (const event of events)
      if (event.type === "tool-call-delta") args[event.index] += event.argumentsDelta;
    expect(args.map((text) => JSON.parse(text) as unknown)).toEqual([
      { file_path: "/a" },
      { file_path: "/b" },
    ]);
  });

  it("reports a stream that ends after only a role chunk as an error, not an empty answer", () => {
    expect(decode(readJsonl("openai-streams/role-only-then-eof.jsonl")).at(-1)).toMatchObject({
      type: "error",
    });
    expect(decode([])).toEqual([
      { type: "error", code: "upstream_error", message: "upstream stream ended before any data" },
    ]);
  });

  it("ignores non-objects, other choices and everything after end()", () => {
    const decoder = createOpenAIStreamDecoder();
    expect(decoder.push("[DONE]")).toEqual([]);
    const events = decoder.push({ id: "x", choices: [{ index: 1, delta: { content: "other choice" } }] });
    expect(events).toEqual([{ type: "start", id: "x", model: "", created: 0 }]);
    decoder.push({ choices: [{ index: 0, delta: { content: "a" }, finish_reason: "length" }] });
    expect(decoder.end()).toEqual([]);
    expect(decoder.push({ choices: [{ index: 0, delta: { content: "late" } }] })).toEqual([]);
  });

  it("round-trips what our chunk encoder produces", () => {
    const events: ChatStreamEvent[] = [
      { type: "start", id: "chatcmpl-1", model: "m", created: 7 },
      { type: "reasoning-delta", text: "hmm" },
      { type: "text-delta", text: "Hi" },
      { type: "tool-call-start", index: 0, id: "call_1", name: "f" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"a":' },
      { type: "tool-call-delta", index: 0, argumentsDelta: "1}" },
      { type: "finish", finishReason: { unified: "tool_calls", raw: "tool_calls" } },
      { type: "usage", usage: { promptTokens: 5, completionTokens: 3, cachedPromptTokens: 2 } },
    ];
    const encoder = createOpenAIChunkEncoder({
      id: "chatcmpl-1",
      model: "m",
      created: 7,
      includeUsage: true,
    });
    const wire = events
      .flatMap((event) => encoder.encode(event))
      .map((chunk) => JSON.parse(JSON.stringify(chunk)));
    expect(decode(wire)).toEqual(events);
  });

  it("round-trips an error chunk with our own code", () => {
    const encoder = createOpenAIChunkEncoder({ id: "c", model: "m", created: 1, includeUsage: false });
    const wire = [
      ...encoder.encode({ type: "start", id: "c", model: "m", created: 1 }),
      ...encoder.encode({ type: "error", code: "insufficient_memory", message: "no room" }),
    ];
    expect(decode(wire).at(-1)).toEqual({ type: "error", code: "insufficient_memory", message: "no room" });
  });
});
