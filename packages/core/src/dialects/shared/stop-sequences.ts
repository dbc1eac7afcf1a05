import { CortexError } from "../../errors/cortex-error.js";

/**
 * Stop-sequence limits (issue 11). OpenAI documents at most 4 stop sequences. Anthropic's API reference
 * gives no limit; its Bedrock documentation of the Messages API says 8191. Every sequence becomes a
 * branch of node-llama-cpp's per-request stop detector: 8191 sequences of 64 characters cost 3.8 s of
 * event-loop time and 120 MB, so cortex accepts at most 16 (Anthropic dialect; OpenAI's 4 for OpenAI
 * clients) of at most 256 characters each. docs/decisions.md, "Stop sequences".
 */
export const OPENAI_MAX_STOP_SEQUENCES = 4;
export const MAX_STOP_SEQUENCES = 16;
export const MAX_STOP_SEQUENCE_LENGTH = 256;

/** Throws `invalid_request` (naming `param`) when `list` exceeds `maxCount` or a sequence is too long. */
export function checkStopSequences(param: string, list: readonly unknown[], maxCount: number): void {
  if (list.length > maxCount) {
    throw new CortexError(
      "invalid_request",
      `${param}: at most ${maxCount} stop sequences are allowed, got ${list.length}`,
      { param },
    );
  }
  const index = list.findIndex(
    (sequence) => typeof sequence === "string" && sequence.length > MAX_STOP_SEQUENCE_LENGTH,
  );
  if (index >= 0) {
    throw new CortexError(
      "invalid_request",
      `${param}[${index}]: a stop sequence may have at most ${MAX_STOP_SEQUENCE_LENGTH} characters`,
      { param },
    );
  }
}

/**
 * OpenAI's limits on a raw `stop` value (a string or an array), for bodies passed through without
 * decoding; anything else is left to the full decoder.
 */
export function checkOpenAIStop(stop: unknown): void {
  if (typeof stop === "string") checkStopSequences("stop", [stop], OPENAI_MAX_STOP_SEQUENCES);
  else if (Array.isArray(stop)) checkStopSequences("stop", stop, OPENAI_MAX_STOP_SEQUENCES);
}
