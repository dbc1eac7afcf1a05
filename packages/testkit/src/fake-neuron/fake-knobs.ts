import { CortexError } from "@cortex/core";

/** Failure and timing knobs (llama-swap's simple-responder, for a whole node). */
export interface FakeKnobs {
  /** How long a load stays in state "loading". */
  loadDelayMs: number;
  /** Loads stay in state "loading" (after `loadDelayMs`) until this is set back to false. */
  holdLoads: boolean;
  /** Loads fail with this message (500 `model_load_failed`); the model ends in state "failed". */
  failLoad: string | null;
  /** Loads run out of memory at the end of `loadDelayMs` (503 `insufficient_memory`). */
  oomOnLoad: boolean;
  /** Pause before each generated token. */
  tokenDelayMs: number;
  /** Stop generating after this many tokens and hold the connection until the client leaves. */
  stallAfterTokens: number | null;
  /** Destroy the socket after this many tokens (0: before any byte). */
  dropAfterTokens: number | null;
  /** Chat and tokenize answer 503 `no_capacity` with `Retry-After: 1`. */
  status503: boolean;
  /** Pause between the model being ready and the first byte of a chat response. */
  firstByteDelayMs: number;
  /** `GET /info` and `GET /models` never answer. */
  hangInfo: boolean;
  /** Reply with this text and finish "stop" (unless `max_tokens` cuts it) instead of "tok0 tok1 …". */
  replyText: string | null;
}

export const DEFAULT_KNOBS: Readonly<FakeKnobs> = Object.freeze({
  loadDelayMs: 0,
  holdLoads: false,
  failLoad: null,
  oomOnLoad: false,
  tokenDelayMs: 0,
  stallAfterTokens: null,
  dropAfterTokens: null,
  status503: false,
  firstByteDelayMs: 0,
  hangInfo: false,
  replyText: null,
});

type Kind = "ms" | "count?" | "text?" | "flag";

const KINDS: Readonly<Record<keyof FakeKnobs, Kind>> = {
  loadDelayMs: "ms",
  holdLoads: "flag",
  failLoad: "text?",
  oomOnLoad: "flag",
  tokenDelayMs: "ms",
  stallAfterTokens: "count?",
  dropAfterTokens: "count?",
  status503: "flag",
  firstByteDelayMs: "ms",
  hangInfo: "flag",
  replyText: "text?",
};

/**
 * Checks a knob patch from `POST /__fake/knobs`, where a typo must fail loudly rather than leave a test
 * running against a healthy fake. `null` clears a nullable knob.
 */
export function parseKnobs(input: unknown): Partial<FakeKnobs> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new CortexError("invalid_request", "knobs must be a JSON object");
  }
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!Object.hasOwn(KINDS, key)) {
      throw new CortexError(
        "invalid_request",
        `unknown knob ${key} (known: ${Object.keys(KINDS).join(", ")})`,
      );
    }
    const kind = KINDS[key as keyof FakeKnobs];
    if (!fits(kind, value))
      throw new CortexError("invalid_request", `knob ${key}: expected ${describe(kind)}`);
    patch[key] = value;
  }
  return patch as Partial<FakeKnobs>;
}

function fits(kind: Kind, value: unknown): boolean {
  const count = typeof value === "number" && Number.isInteger(value) && value >= 0;
  switch (kind) {
    case "ms":
      return count;
    case "count?":
      return value === null || count;
    case "text?":
      return value === null || typeof value === "string";
    case "flag":
      return typeof value === "boolean";
    default:
      return kind satisfies never;
  }
}

function describe(kind: Kind): string {
  switch (kind) {
    case "ms":
      return "a whole number of milliseconds >= 0";
    case "count?":
      return "a whole number >= 0 or null";
    case "text?":
      return "a string or null";
    case "flag":
      return "true or false";
    default:
      return kind satisfies never;
  }
}
