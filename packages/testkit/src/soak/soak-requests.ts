/**
 * What the soak's clients send: one of the three client dialects, streaming or not, sometimes given up
 * by the client half-way. Pure: a seeded generator, so a run can be repeated request for request.
 */

export type SoakDialect = "openai" | "anthropic" | "responses";
export const SOAK_DIALECTS: readonly SoakDialect[] = ["openai", "anthropic", "responses"];

export type SoakAbort =
  /** Read to the end. */
  | { readonly kind: "none" }
  /** Streaming: disconnect after this many content events. */
  | { readonly kind: "mid-stream"; readonly afterEvents: number }
  /** Disconnect after this long, whatever has arrived. */
  | { readonly kind: "timer"; readonly afterMs: number };

export interface SoakRequestSpec {
  readonly dialect: SoakDialect;
  readonly stream: boolean;
  readonly model: string;
  readonly maxTokens: number;
  readonly prompt: string;
  readonly abort: SoakAbort;
}

export interface HttpCall {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** mulberry32: small, fast, good enough to pick a request mix. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SoakMix {
  /** Models on the fake engine (most traffic). */
  readonly fakeModels: readonly string[];
  /** Models on node-llama-cpp (a share of the traffic, short answers: they cost real CPU). */
  readonly realModels: readonly string[];
  readonly realShare: number;
  readonly streamShare: number;
  readonly abortShare: number;
}

/**
 * Which fake models are in demand `elapsedMs` into the run: `size` consecutive ones, the window moving
 * on by one every `periodMs`. Clients that change models over time are what lets a model go idle and be
 * evicted (a model with requests in flight never is); the rest of the traffic asks for any model.
 */
export function hotModels(
  models: readonly string[],
  size: number,
  periodMs: number,
  elapsedMs: number,
): string[] {
  const start = Math.floor(elapsedMs / periodMs);
  return Array.from(
    { length: Math.min(size, models.length) },
    (_, i) => models[(start + i) % models.length] as string,
  );
}

const WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"];

export function nextRequest(random: () => number, mix: SoakMix): SoakRequestSpec {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const real = random() < mix.realShare;
  const model = real ? pick(mix.realModels) : pick(mix.fakeModels);
  const stream = random() < mix.streamShare;
  let abort: SoakAbort = { kind: "none" };
  if (random() < mix.abortShare) {
    abort = stream
      ? { kind: "mid-stream", afterEvents: 1 + Math.floor(random() * 4) }
      : { kind: "timer", afterMs: 20 + Math.floor(random() * 400) };
  }
  const words = Array.from({ length: 4 + Math.floor(random() * 30) }, () => pick(WORDS));
  return {
    dialect: pick(SOAK_DIALECTS),
    stream,
    model,
    maxTokens: real ? 4 + Math.floor(random() * 12) : 8 + Math.floor(random() * 40),
    prompt: `Say something about ${words.join(" ")}.`,
    abort,
  };
}

/** The HTTP request a real client of that dialect would send. */
export function toHttpCall(spec: SoakRequestSpec): HttpCall {
  const json = { "content-type": "application/json" };
  switch (spec.dialect) {
    case "openai":
      return {
        path: "/v1/chat/completions",
        headers: json,
        body: JSON.stringify({
          model: spec.model,
          messages: [{ role: "user", content: spec.prompt }],
          max_tokens: spec.maxTokens,
          stream: spec.stream,
          ...(spec.stream ? { stream_options: { include_usage: true } } : {}),
        }),
      };
    case "anthropic":
      return {
        path: "/v1/messages",
        headers: { ...json, "anthropic-version": "2023-06-01" },
        body: JSON.stringify({
          model: spec.model,
          max_tokens: spec.maxTokens,
          messages: [{ role: "user", content: spec.prompt }],
          stream: spec.stream,
        }),
      };
    case "responses":
      return {
        path: "/v1/responses",
        headers: json,
        body: JSON.stringify({
          model: spec.model,
          input: spec.prompt,
          max_output_tokens: spec.maxTokens,
          stream: spec.stream,
          store: false,
        }),
      };
    default:
      return spec.dialect satisfies never;
  }
}
