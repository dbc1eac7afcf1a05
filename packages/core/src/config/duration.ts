import { describeTomlValue } from "./format-config-issues.js";

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/i;

/**
 * Milliseconds from a number (already ms) or a string like "250ms", "5s", "1.5m", "1h".
 * Throws an Error whose message is fit to show a user.
 */
export function parseDuration(input: string | number): number {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) {
      throw new Error(`invalid duration ${input} (expected milliseconds >= 0)`);
    }
    return Math.round(input);
  }
  if (typeof input !== "string") throw new Error(`expected a duration like "5s" or a number of milliseconds`);
  const match = DURATION.exec(input.trim());
  const multiplier = UNIT_MS[(match?.[2] ?? "").toLowerCase()];
  if (match?.[1] === undefined || multiplier === undefined) {
    throw new Error(
      `invalid duration ${describeTomlValue(input)} (e.g. "250ms", "5s", "2m", "1h" or milliseconds)`,
    );
  }
  return Math.round(Number(match[1]) * multiplier);
}
