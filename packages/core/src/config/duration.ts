import { describeTomlValue } from "./format-config-issues.js";

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/i;

/**
 * Milliseconds from a number (already ms) or a string like "250ms", "5s", "1.5m", "1h" (or "0").
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
  // A bare zero needs no unit ("0" = off where a key allows it, e.g. idle_unload).
  if (input.trim() === "0") return 0;
  const match = DURATION.exec(input.trim());
  const multiplier = UNIT_MS[(match?.[2] ?? "").toLowerCase()];
  if (match?.[1] === undefined || multiplier === undefined) {
    throw new Error(
      `invalid duration ${describeTomlValue(input)} (e.g. "250ms", "5s", "2m", "1h" or milliseconds)`,
    );
  }
  return Math.round(Number(match[1]) * multiplier);
}

/** "45s", "12m", "3h", "2d": how long ago something happened (a model's last use), coarse on purpose. */
export function humanAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}
