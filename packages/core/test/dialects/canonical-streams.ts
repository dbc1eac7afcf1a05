import {
  StreamBlocks,
  type ChatStreamEvent,
  type ContentDelta,
  type UnifiedFinishReason,
} from "../../src/canonical/index.js";

/** Random canonical streams for the stream encoders' property tests (every dialect gets the same ones). */

/** mulberry32: a seeded PRNG so failures reproduce. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REASONS: UnifiedFinishReason[] = [
  "stop",
  "length",
  "tool_calls",
  "stop_sequence",
  "content_filter",
  "error",
];
const TEXTS = ["", " ", "\n\n", "Hello", " world", "多字节 🌍", "\t"];
const IDS = ["call_1", "", "functions.Bash:0", "toolu_01X", "a b"];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** Anything at all, in any order: the encoder must still only ever emit a valid sequence. */
export function chaoticEvent(random: () => number): ChatStreamEvent {
  const roll = random();
  if (roll < 0.05) return { type: "start", id: "x", model: "m", created: 0 };
  if (roll < 0.3) return { type: "text-delta", text: pick(random, TEXTS) };
  if (roll < 0.45) return { type: "reasoning-delta", text: pick(random, TEXTS) };
  if (roll < 0.6)
    return { type: "tool-call-start", index: Math.floor(random() * 3), id: pick(random, IDS), name: "T" };
  if (roll < 0.8)
    return {
      type: "tool-call-delta",
      index: Math.floor(random() * 3),
      argumentsDelta: pick(random, ['{"a":', "1}", "", "{}"]),
    };
  if (roll < 0.9)
    return {
      type: "finish",
      finishReason: { unified: pick(random, REASONS) },
      ...(random() < 0.5 ? { stopSequence: "S" } : {}),
    };
  if (roll < 0.94)
    return { type: "usage", usage: { promptTokens: 10, completionTokens: 3, cachedPromptTokens: 4 } };
  if (roll < 0.97)
    return pick<ChatStreamEvent>(random, [
      { type: "text-start" },
      { type: "text-end" },
      { type: "reasoning-start" },
      { type: "reasoning-end" },
      { type: "tool-call-end", index: Math.floor(random() * 3) },
    ]);
  return { type: "error", code: pick(random, ["no_capacity", "internal_error", "whatever"]), message: "m" };
}

/**
 * A plausible generation, as a producer emits it and StreamBlocks frames it: reasoning, text, sequential
 * tool calls with valid JSON, finish, usage.
 */
export function plausibleStream(random: () => number): ChatStreamEvent[] {
  const deltas: ContentDelta[] = [];
  const chunks = (kind: "text-delta" | "reasoning-delta") => {
    const count = Math.floor(random() * 4);
    for (let i = 0; i < count; i++) deltas.push({ type: kind, text: pick(random, TEXTS) });
  };
  if (random() < 0.5) chunks("reasoning-delta");
  chunks("text-delta");
  const calls = Math.floor(random() * 3);
  for (let index = 0; index < calls; index++) {
    deltas.push({ type: "tool-call-start", index, id: pick(random, IDS), name: "Read" });
    const json = random() < 0.2 ? "" : JSON.stringify({ file_path: `/f${index}`, n: index, s: 'q"uote' });
    let at = 0;
    while (at < json.length) {
      const step = 1 + Math.floor(random() * 7);
      deltas.push({ type: "tool-call-delta", index, argumentsDelta: json.slice(at, at + step) });
      at += step;
    }
  }
  if (random() < 0.3) chunks("text-delta");
  const blocks = new StreamBlocks();
  const events: ChatStreamEvent[] = [
    { type: "start", id: "x", model: "m", created: 0 },
    ...deltas.flatMap((delta) => blocks.push(delta)),
    ...blocks.close(),
  ];
  if (random() < 0.9)
    events.push({ type: "finish", finishReason: { unified: pick(random, REASONS) }, stopSequence: "S" });
  if (random() < 0.8) events.push({ type: "usage", usage: { promptTokens: 50, completionTokens: 7 } });
  return events;
}

/**
 * Problems with a canonical stream against its grammar (see ChatStreamEvent): start first; blocks that
 * open, carry only their own deltas and close, one at a time; finish after the last block; usage only
 * after finish; nothing after error. Empty when valid.
 */
export function validateCanonicalStream(events: readonly ChatStreamEvent[]): string[] {
  const problems: string[] = [];
  let open: string | undefined;
  let phase: "before" | "blocks" | "finished" | "over" = "before";
  events.forEach((event, at) => {
    const problem = (text: string): void => void problems.push(`#${at} ${event.type}: ${text}`);
    if (phase === "over") return problem("after the end");
    if (phase === "before" && event.type !== "start" && event.type !== "error")
      return problem("before start");
    const block = event.type.startsWith("text-")
      ? "text"
      : event.type.startsWith("reasoning-")
        ? "reasoning"
        : undefined;
    const key =
      block ??
      (event.type.startsWith("tool-call-") ? `tool ${(event as { index: number }).index}` : undefined);
    switch (event.type) {
      case "start":
        if (phase !== "before") problem("twice");
        phase = "blocks";
        return;
      case "text-start":
      case "reasoning-start":
      case "tool-call-start":
        if (phase !== "blocks") return problem("after finish");
        if (open !== undefined) problem(`while ${open} is open`);
        open = key;
        return;
      case "text-delta":
      case "reasoning-delta":
      case "tool-call-delta":
        if (open !== key) problem(`outside its block (open: ${open ?? "none"})`);
        return;
      case "text-end":
      case "reasoning-end":
      case "tool-call-end":
        if (open !== key) problem(`closes ${key ?? "?"} but ${open ?? "none"} is open`);
        open = undefined;
        return;
      case "finish":
        if (phase !== "blocks") problem("twice");
        if (open !== undefined) problem(`while ${open} is open`);
        phase = "finished";
        return;
      case "usage":
        if (phase !== "finished") problem("before finish");
        phase = "over";
        return;
      case "error":
        phase = "over";
        return;
      default:
        return event satisfies never;
    }
  });
  return problems;
}
