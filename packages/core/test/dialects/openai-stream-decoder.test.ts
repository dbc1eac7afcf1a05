import { describe, expect, it } from "vitest";
import { StreamBlocks, type ChatStreamEvent } from "../../src/canonical/index.js";
import { createOpenAIChunkEncoder, createOpenAIStreamDecoder } from "../../src/dialects/index.js";
import { prng, validateCanonicalStream } from "./canonical-streams.js";
import { fixtureNames, readJsonl, toJsonl } from "./fixtures.js";

function decode(chunks: readonly unknown[]): ChatStreamEvent[] {
  const decoder = createOpenAIStreamDecoder();
  return [...chunks.flatMap((chunk) => decoder.push(chunk)), ...decoder.end()];
}

describe("createOpenAIStreamDecoder", () => {
  for (const name of fixtureNames("openai-streams")) {
    it(`decodes ${name}`, async () => {
      const events = decode(readJsonl(`openai-streams/${name}`));
      expect(validateCanonicalStream(events)).toEqual([]);
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

  it("reads usage counts that are not whole non-negative numbers as 0 (found by fuzzing)", () => {
    // cached_tokens -5 used to reach Anthropic clients as cache_read_input_tokens -5, and 0.5 as is.
    const events = decode([
      { id: "c", prompt_usage: { prompt_tokens: 0.5, completion_tokens: 0 }, choices: [] },
      { choices: [{ delta: { content: "x" }, finish_reason: "stop" }] },
      {
        choices: [],
        usage: { prompt_tokens: 7, completion_tokens: -1, prompt_tokens_details: { cached_tokens: -5 } },
      },
    ]);
    expect(events[0]).toMatchObject({ type: "start", usage: { promptTokens: 0, completionTokens: 0 } });
    expect(events.at(-1)).toEqual({ type: "usage", usage: { promptTokens: 7, completionTokens: 0 } });
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
      { type: "reasoning-start" },
      { type: "reasoning-delta", text: "hmm" },
      { type: "reasoning-end" },
      { type: "text-start" },
      { type: "text-delta", text: "Hi" },
      { type: "text-end" },
      { type: "tool-call-start", index: 0, id: "call_1", name: "f" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"a":' },
      { type: "tool-call-delta", index: 0, argumentsDelta: "1}" },
      { type: "tool-call-end", index: 0 },
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

  it("always yields a canonical stream with well-formed blocks, whatever chunks a backend sends", () => {
    const pick = <T>(random: () => number, items: readonly T[]): T =>
      items[Math.floor(random() * items.length)]!;
    const chunk = (random: () => number): unknown => {
      const delta = pick(random, [
        { content: pick(random, ["", " ", "Hi", "\n"]) },
        { reasoning_content: pick(random, ["", "hmm", " "]) },
        {
          tool_calls: [
            {
              index: pick(random, [0, 1, undefined]),
              id: pick(random, ["call_a", undefined]),
              function: {
                name: pick(random, ["f", undefined]),
                arguments: pick(random, ['{"a":', "1}", ""]),
              },
            },
          ],
        },
        { role: "assistant" },
      ]);
      const finish = random() < 0.1 ? pick(random, ["stop", "length", "tool_calls"]) : null;
      if (random() < 0.03) return { error: { message: "boom", code: "no_capacity" } };
      if (random() < 0.05) return { choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } };
      return { id: "c", choices: [{ index: 0, delta, finish_reason: finish }] };
    };
    for (let seed = 1; seed <= 1000; seed++) {
      const random = prng(seed);
      const events = decode(Array.from({ length: Math.floor(random() * 30) }, () => chunk(random)));
      expect({ seed, problems: validateCanonicalStream(events) }).toEqual({ seed, problems: [] });
    }
  });
});

describe("StreamBlocks", () => {
  it("frames a producer's deltas into blocks, one open at a time, and closes the last", () => {
    const blocks = new StreamBlocks();
    const events = [
      ...blocks.push({ type: "reasoning-delta", text: "hmm" }),
      ...blocks.push({ type: "text-delta", text: "" }),
      ...blocks.push({ type: "text-delta", text: "Hi" }),
      ...blocks.push({ type: "text-delta", text: "!" }),
      ...blocks.push({ type: "tool-call-start", index: 0, id: "c0", name: "f" }),
      ...blocks.push({ type: "tool-call-delta", index: 0, argumentsDelta: "{}" }),
      ...blocks.push({ type: "tool-call-delta", index: 1, argumentsDelta: "{}" }),
      ...blocks.push({ type: "tool-call-start", index: 1, id: "c1", name: "g" }),
      ...blocks.close(),
      ...blocks.close(),
    ];
    expect(events.map((event) => event.type)).toEqual([
      "reasoning-start",
      "reasoning-delta",
      "reasoning-end",
      "text-start",
      "text-delta",
      "text-delta",
      "text-end",
      "tool-call-start",
      "tool-call-delta",
      "tool-call-end",
      "tool-call-start",
      "tool-call-end",
    ]);
    expect(blocks.warnings).toEqual(["tool call 1: arguments arrived while its block was not open; dropped"]);
  });
});
