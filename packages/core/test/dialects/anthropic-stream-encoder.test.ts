import { describe, expect, it } from "vitest";
import type { ChatStreamEvent } from "../../src/canonical/index.js";
import {
  createAnthropicStreamEncoder,
  createOpenAIStreamDecoder,
  type AnthropicEvent,
  type AnthropicStreamEncoder,
} from "../../src/dialects/index.js";
import { encodeSseEvent } from "../../src/sse/index.js";
import { validateAnthropicSequence } from "./anthropic-sequence-validator.js";
import { chaoticEvent, plausibleStream, prng } from "./canonical-streams.js";
import { fixtureNames, readJsonl } from "./fixtures.js";

function counterIds(): (prefix: string) => string {
  let next = 0;
  return (prefix) => `${prefix}${String(++next).padStart(4, "0")}`;
}

function encoder(
  overrides: Partial<Parameters<typeof createAnthropicStreamEncoder>[0]> = {},
): AnthropicStreamEncoder {
  return createAnthropicStreamEncoder({
    requestedModel: "claude-sonnet-5",
    messageId: "msg_test",
    newId: counterIds(),
    ...overrides,
  });
}

function run(events: readonly ChatStreamEvent[], target = encoder()): AnthropicEvent[] {
  return [...events.flatMap((event) => target.push(event)), ...target.finish()];
}

const sse = (events: readonly AnthropicEvent[]) =>
  events.map((e) => encodeSseEvent(e.event, e.data)).join("");

describe("createAnthropicStreamEncoder: recorded backend streams", () => {
  for (const name of fixtureNames("openai-streams")) {
    it(`translates ${name}`, async () => {
      const decoder = createOpenAIStreamDecoder();
      const target = encoder();
      const out: AnthropicEvent[] = [...target.ping()];
      for (const chunk of readJsonl(`openai-streams/${name}`)) {
        for (const event of decoder.push(chunk)) out.push(...target.push(event));
      }
      for (const event of decoder.end()) out.push(...target.push(event));
      out.push(...target.finish());
      expect(validateAnthropicSequence(out, { toolJson: true, complete: true })).toEqual([]);
      await expect(sse(out)).toMatchFileSnapshot(
        `__snapshots__/anthropic-stream/${name.replace(/\.jsonl$/, ".sse")}`,
      );
    });
  }
});

describe("createAnthropicStreamEncoder: rules", () => {
  const start: ChatStreamEvent = { type: "start", id: "x", model: "backend-id", created: 1 };

  it("reports the input usage of the neuron's prompt_usage chunk in message_start, as message_delta does", () => {
    const decoder = createOpenAIStreamDecoder();
    const target = encoder();
    const chunks = readJsonl("openai-streams/neuron-tool-calls-cut-by-max-tokens.jsonl");
    const out = [
      ...[...chunks.flatMap((chunk) => decoder.push(chunk)), ...decoder.end()].flatMap((e) => target.push(e)),
      ...target.finish(),
    ];
    const input = { input_tokens: 14, cache_creation_input_tokens: 0, cache_read_input_tokens: 200 };
    expect(out[0]).toMatchObject({
      event: "message_start",
      data: { message: { usage: { ...input, output_tokens: 0 } } },
    });
    expect(out.find((e) => e.event === "message_delta")).toMatchObject({
      data: { usage: { ...input, output_tokens: 64 } },
    });
    // A backend that does not send prompt usage still gets a well-formed, zero message_start.
    expect(run([start]).at(0)).toMatchObject({ data: { message: { usage: { input_tokens: 0 } } } });
  });

  it("never opens a block for empty or whitespace-only text (empty-text-block regression)", () => {
    const out = run([
      start,
      { type: "text-delta", text: "" },
      { type: "text-delta", text: "\n\n" },
      { type: "tool-call-start", index: 0, id: "call_1", name: "Glob" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"pattern":"*"}' },
      { type: "text-delta", text: "  " },
      { type: "text-delta", text: "done" },
      { type: "finish", finishReason: { unified: "stop" } },
    ]);
    const starts = out.flatMap((e) => (e.event === "content_block_start" ? [e.data.content_block.type] : []));
    expect(starts).toEqual(["tool_use", "text"]);
    const texts = out.flatMap((e) =>
      e.event === "content_block_delta" && e.data.delta.type === "text_delta" ? [e.data.delta.text] : [],
    );
    expect(texts).toEqual(["  done"]);
  });

  it("sends a placeholder instead of a message without blocks", () => {
    const out = run([
      start,
      { type: "text-delta", text: " " },
      { type: "finish", finishReason: { unified: "stop" } },
    ]);
    expect(out.map((e) => e.event)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(out[2]).toMatchObject({ data: { delta: { text: "(no content)" } } });
  });

  it("fails a stream that ends without a finish and without content (checklist 78)", () => {
    expect(run([start]).map((e) => e.event)).toEqual(["message_start", "error"]);
    expect(run([]).map((e) => e.event)).toEqual(["error"]);
  });

  it("ends a stream without a finish but with content as end_turn", () => {
    const out = run([start, { type: "text-delta", text: "partial" }]);
    expect(out.at(-2)).toMatchObject({ data: { delta: { stop_reason: "end_turn" } } });
  });

  it("waits for usage after finish and reports it cumulatively", () => {
    const target = encoder();
    target.push(start);
    target.push({ type: "text-delta", text: "hi" });
    const atFinish = target.push({
      type: "finish",
      finishReason: { unified: "stop_sequence" },
      stopSequence: "END",
    });
    expect(atFinish.map((e) => e.event)).toEqual(["content_block_stop"]);
    const atUsage = target.push({
      type: "usage",
      usage: { promptTokens: 1000, completionTokens: 5, cachedPromptTokens: 800 },
    });
    expect(atUsage).toEqual([
      {
        event: "message_delta",
        data: {
          type: "message_delta",
          delta: { stop_reason: "stop_sequence", stop_sequence: "END" },
          usage: {
            input_tokens: 200,
            output_tokens: 5,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 800,
          },
        },
      },
      { event: "message_stop", data: { type: "message_stop" } },
    ]);
    expect(target.ended).toBe(true);
    expect(target.finish()).toEqual([]);
    expect(target.ping()).toEqual([]);
    expect(target.fail("late", "api_error")).toEqual([]);
  });

  it("maps an error event to Anthropic's error types and stops", () => {
    const target = encoder();
    target.push(start);
    expect(target.push({ type: "error", code: "queue_full", message: "Overloaded" })).toEqual([
      { event: "error", data: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } } },
    ]);
    expect(target.push({ type: "text-delta", text: "late" })).toEqual([]);
  });

  it("ping before anything sends message_start first; fail() sends a bare error", () => {
    const target = encoder();
    expect(target.ping().map((e) => e.event)).toEqual(["message_start", "ping"]);
    expect(target.fail("boom", "api_error")).toEqual([
      { event: "error", data: { type: "error", error: { type: "api_error", message: "boom" } } },
    ]);
  });

  it("normalises tool ids, mints missing ones and sends {} for argument-less calls", () => {
    const out = run([
      start,
      { type: "tool-call-start", index: 0, id: "functions.Bash:0", name: "Bash" },
      { type: "tool-call-start", index: 1, id: "", name: "EnterPlanMode" },
      { type: "finish", finishReason: { unified: "tool_calls" } },
    ]);
    const blocks = out.flatMap((e) => (e.event === "content_block_start" ? [e.data.content_block] : []));
    expect(blocks).toEqual([
      { type: "tool_use", id: "functions_Bash_0", name: "Bash", input: {} },
      { type: "tool_use", id: "toolu_0001", name: "EnterPlanMode", input: {} },
    ]);
    const json = out.flatMap((e) =>
      e.event === "content_block_delta" && e.data.delta.type === "input_json_delta"
        ? [e.data.delta.partial_json]
        : [],
    );
    expect(json).toEqual(["{}", "{}"]);
  });
});

function drive(random: () => number, events: readonly ChatStreamEvent[]): AnthropicEvent[] {
  const target = encoder();
  const out: AnthropicEvent[] = [];
  for (const event of events) {
    if (random() < 0.1) out.push(...target.ping());
    out.push(...target.push(event));
  }
  if (random() < 0.05) out.push(...target.fail("client gone", "api_error"));
  out.push(...target.finish());
  if (target.ended)
    expect([
      ...target.ping(),
      ...target.finish(),
      ...target.push(events[0] ?? { type: "text-delta", text: "x" }),
    ]).toEqual([]);
  return out;
}

describe("createAnthropicStreamEncoder: property", () => {
  it("emits a valid sequence for 2000 chaotic canonical streams", () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const random = prng(seed);
      const events = Array.from({ length: Math.floor(random() * 25) }, () => chaoticEvent(random));
      const problems = validateAnthropicSequence(drive(random, events), { complete: true });
      expect({ seed, problems }).toEqual({ seed, problems: [] });
    }
  });

  it("emits valid sequences with complete tool JSON for 2000 plausible streams", () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const random = prng(seed * 7919);
      const problems = validateAnthropicSequence(drive(random, plausibleStream(random)), {
        complete: true,
        toolJson: true,
      });
      expect({ seed, problems }).toEqual({ seed, problems: [] });
    }
  });

  it("the validator itself rejects the classic mistakes", () => {
    const start = {
      event: "message_start",
      data: {
        type: "message_start",
        message: {
          id: "m",
          type: "message",
          role: "assistant",
          model: "x",
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      },
    };
    const problems = validateAnthropicSequence(
      [
        start,
        {
          event: "content_block_start",
          data: { type: "content_block_start", index: 1, content_block: { type: "text", text: "" } },
        },
        { event: "content_block_stop", data: { type: "content_block_stop", index: 1 } },
        {
          event: "message_delta",
          data: { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: {} },
        },
      ],
      { complete: true },
    );
    expect(problems).toEqual([
      "#1 content_block_start: index 1, expected 0",
      "#2 content_block_stop: stop for 1, open block is 0",
      "#2 content_block_stop: empty or whitespace-only text block",
      "#3 message_delta: stop_reason tool_use with 0 tool_use blocks",
      "#3 message_delta: usage missing",
      "#4 end: stream did not end with message_stop or error",
    ]);
  });
});
