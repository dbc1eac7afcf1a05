import type { ChatStreamEvent, UnifiedFinishReason } from "../../src/canonical/index.js";

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
  if (roll < 0.97)
    return { type: "usage", usage: { promptTokens: 10, completionTokens: 3, cachedPromptTokens: 4 } };
  return { type: "error", code: pick(random, ["no_capacity", "internal_error", "whatever"]), message: "m" };
}

/** A plausible generation: reasoning, text, sequential tool calls with valid JSON, pings, finish, usage. */
export function plausibleStream(random: () => number): ChatStreamEvent[] {
  const events: ChatStreamEvent[] = [{ type: "start", id: "x", model: "m", created: 0 }];
  const chunks = (kind: "text-delta" | "reasoning-delta") => {
    const count = Math.floor(random() * 4);
    for (let i = 0; i < count; i++) events.push({ type: kind, text: pick(random, TEXTS) });
  };
  if (random() < 0.5) chunks("reasoning-delta");
  chunks("text-delta");
  const calls = Math.floor(random() * 3);
  for (let index = 0; index < calls; index++) {
    events.push({ type: "tool-call-start", index, id: pick(random, IDS), name: "Read" });
    const json = random() < 0.2 ? "" : JSON.stringify({ file_path: `/f${index}`, n: index, s: 'q"uote' });
    let at = 0;
    while (at < json.length) {
      const step = 1 + Math.floor(random() * 7);
      events.push({ type: "tool-call-delta", index, argumentsDelta: json.slice(at, at + step) });
      at += step;
    }
  }
  if (random() < 0.3) chunks("text-delta");
  if (random() < 0.9)
    events.push({ type: "finish", finishReason: { unified: pick(random, REASONS) }, stopSequence: "S" });
  if (random() < 0.8) events.push({ type: "usage", usage: { promptTokens: 50, completionTokens: 7 } });
  return events;
}
