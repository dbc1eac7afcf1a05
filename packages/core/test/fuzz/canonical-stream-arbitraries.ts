import fc from "fast-check";
import {
  StreamBlocks,
  type ChatStreamEvent,
  type ContentDelta,
  type UnifiedFinishReason,
  type Usage,
} from "../../src/canonical/index.js";

/**
 * Canonical stream events for the encoders' and decoders' properties: sequences that keep the canonical
 * order (what an engine or the stream decoder produces), and a checker of that order, written from the
 * comment on `ChatStreamEvent`, so any producer can be held to it.
 */

const FINISH_REASONS: readonly UnifiedFinishReason[] = [
  "stop",
  "length",
  "tool_calls",
  "stop_sequence",
  "content_filter",
  "error",
];

const deltaText = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 8 }) },
    { weight: 2, arbitrary: fc.constantFrom("", " ", "\n", "  \n ", "Hello", "é😀", "<think>") },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 4 }) },
  );

const usage = (): fc.Arbitrary<Usage> =>
  fc.record(
    {
      promptTokens: fc.nat(100_000),
      completionTokens: fc.nat(10_000),
      cachedPromptTokens: fc.nat(100_000),
    },
    { requiredKeys: ["promptTokens", "completionTokens"] },
  );

/** Tool arguments as a model streams them: a JSON object cut into pieces, sometimes not JSON at all. */
const argumentPieces = (): fc.Arbitrary<string[]> =>
  fc
    .oneof(
      {
        weight: 4,
        arbitrary: fc
          .dictionary(fc.constantFrom("path", "n", "q"), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })
          .map((value) => JSON.stringify(value)),
      },
      { weight: 1, arbitrary: fc.constantFrom("", "{", '{"a":', "[1,2]", "not json", '"x"') },
    )
    .chain((json) =>
      fc.array(fc.nat(json.length), { maxLength: 4 }).map((cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), json.length];
        return points.slice(1).map((end, index) => json.slice(points[index], end));
      }),
    );

type Segment =
  | { kind: "text" | "reasoning"; pieces: string[] }
  | { kind: "tool"; id: string; name: string; pieces: string[] };

const segment = (): fc.Arbitrary<Segment> =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("text" as const),
        pieces: fc.array(deltaText(), { maxLength: 5 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("reasoning" as const),
        pieces: fc.array(deltaText(), { maxLength: 5 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("tool" as const),
        id: fc.constantFrom("call_1", "call_2", "functions.Bash:0", "toolu_01", "x y", ""),
        name: fc.constantFrom("Read", "Bash", "get_weather", "mcp__s__t", ""),
        pieces: argumentPieces(),
      }),
    },
  );

export interface CanonicalStream {
  readonly events: ChatStreamEvent[];
}

/**
 * A stream in canonical order: start, content segments (one tool call at a time, numbered 0..n-1),
 * finish, maybe usage; or an error instead of anything after start. With `chaos`, events are also
 * dropped, repeated and moved, to check that consumers survive producers that break the order.
 */
export function canonicalStream(options: { chaos?: boolean } = {}): fc.Arbitrary<ChatStreamEvent[]> {
  const ordered = fc
    .record({
      id: fc.constantFrom("chatcmpl-1", "", "resp id/with:odd chars"),
      model: fc.constantFrom("qwen3-tiny", ""),
      startUsage: fc.option(usage(), { nil: undefined }),
      segments: fc.array(segment(), { maxLength: 6 }),
      finish: fc.option(
        fc.record({
          unified: fc.constantFrom(...FINISH_REASONS),
          raw: fc.constantFrom("stop", "length", "eos", undefined),
          stopSequence: fc.constantFrom("\n\n", "END", "", undefined),
        }),
        { nil: undefined, freq: 8 },
      ),
      usage: fc.option(usage(), { nil: undefined }),
      errorAt: fc.option(fc.nat(), { nil: undefined, freq: 6 }),
    })
    .map(({ id, model, startUsage, segments, finish, usage: finalUsage, errorAt }) => {
      const events: ChatStreamEvent[] = [
        { type: "start", id, model, created: 1_700_000_000, ...(startUsage ? { usage: startUsage } : {}) },
      ];
      // Producers emit content deltas; StreamBlocks places the block boundaries, as for every engine.
      const blocks = new StreamBlocks();
      const content = (delta: ContentDelta) => events.push(...blocks.push(delta));
      let toolIndex = 0;
      for (const part of segments) {
        if (part.kind === "tool") {
          const index = toolIndex++;
          content({ type: "tool-call-start", index, id: part.id, name: part.name });
          for (const piece of part.pieces) content({ type: "tool-call-delta", index, argumentsDelta: piece });
        } else {
          const type = part.kind === "text" ? "text-delta" : "reasoning-delta";
          for (const piece of part.pieces) content({ type, text: piece });
        }
      }
      events.push(...blocks.close());
      if (finish) {
        events.push({
          type: "finish",
          finishReason: { unified: finish.unified, ...(finish.raw === undefined ? {} : { raw: finish.raw }) },
          ...(finish.stopSequence === undefined ? {} : { stopSequence: finish.stopSequence }),
        });
        if (finalUsage) events.push({ type: "usage", usage: finalUsage });
      }
      if (errorAt !== undefined) {
        // An error ends the stream wherever it comes, an open block included.
        const at = 1 + (errorAt % events.length);
        events.splice(at, events.length - at, {
          type: "error",
          code: "upstream_error",
          message: "neuron went away",
        });
      }
      return events;
    });
  if (!options.chaos) return ordered;
  return fc
    .tuple(
      ordered,
      fc.array(fc.record({ from: fc.nat(), to: fc.nat(), op: fc.constantFrom("drop", "repeat", "move") }), {
        maxLength: 4,
      }),
    )
    .map(([events, edits]) => {
      const out = [...events];
      for (const { from, to, op } of edits) {
        if (out.length === 0) break;
        const source = from % out.length;
        const [event] = out.splice(source, op === "repeat" ? 0 : 1);
        const moved = event ?? out[source];
        if (op !== "drop" && moved) out.splice(to % (out.length + 1), 0, moved);
      }
      return out;
    });
}

/**
 * Problems with a stream's order (empty when it keeps it), from the grammar on `ChatStreamEvent`:
 * one start first; blocks that never overlap, each delta inside a block of its kind (a tool call's inside
 * its own call's block), calls numbered 0..n-1; every block closed before finish; at most one finish;
 * usage only after finish; an error ends everything (an open block may stay open); counts are whole,
 * finite and non-negative.
 */
export function canonicalOrderProblems(events: readonly ChatStreamEvent[]): string[] {
  const problems: string[] = [];
  let started = false;
  let finished = false;
  let over = false;
  let usageSeen = false;
  let toolCalls = 0;
  let open: { kind: "text" | "reasoning" | "tool"; call: number } | undefined;
  const checkUsage = (at: number, value: Usage) => {
    for (const count of [value.promptTokens, value.completionTokens, value.cachedPromptTokens ?? 0]) {
      if (!Number.isSafeInteger(count) || count < 0) problems.push(`#${at}: usage count ${count}`);
    }
  };
  const opens = (at: number, kind: "text" | "reasoning" | "tool", call = -1) => {
    if (open) problems.push(`#${at}: a ${kind} block opens while a ${open.kind} block is open`);
    open = { kind, call };
  };
  const inside = (at: number, kind: "text" | "reasoning" | "tool", call = -1) => {
    if (open?.kind !== kind || open.call !== call)
      problems.push(`#${at}: a ${kind} delta${call >= 0 ? ` for call ${call}` : ""} outside its block`);
  };
  const closes = (at: number, kind: "text" | "reasoning" | "tool", call = -1) => {
    inside(at, kind, call);
    open = undefined;
  };
  events.forEach((event, at) => {
    if (over) return problems.push(`#${at} ${event.type}: after the stream ended`);
    if (event.type === "error") {
      over = true;
      return;
    }
    if (!started) {
      if (event.type !== "start") problems.push(`#${at} ${event.type}: before start`);
      started = true;
      if (event.type === "start" && event.usage) checkUsage(at, event.usage);
      return;
    }
    if (finished && event.type !== "usage") return problems.push(`#${at} ${event.type}: after finish`);
    switch (event.type) {
      case "start":
        return problems.push(`#${at}: a second start`);
      case "text-start":
        return opens(at, "text");
      case "reasoning-start":
        return opens(at, "reasoning");
      case "tool-call-start":
        if (event.index !== toolCalls)
          problems.push(`#${at}: tool call ${event.index} started as call ${toolCalls}`);
        toolCalls += 1;
        return opens(at, "tool", event.index);
      case "text-delta":
        return inside(at, "text");
      case "reasoning-delta":
        return inside(at, "reasoning");
      case "tool-call-delta":
        return inside(at, "tool", event.index);
      case "text-end":
        return closes(at, "text");
      case "reasoning-end":
        return closes(at, "reasoning");
      case "tool-call-end":
        return closes(at, "tool", event.index);
      case "finish":
        if (open) problems.push(`#${at}: finish while a ${open.kind} block is open`);
        finished = true;
        return;
      case "usage":
        if (!finished) problems.push(`#${at}: usage before finish`);
        if (usageSeen) problems.push(`#${at}: a second usage`);
        usageSeen = true;
        checkUsage(at, event.usage);
        return;
      default:
        return event satisfies never;
    }
  });
  return problems;
}
