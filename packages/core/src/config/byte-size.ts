import { describeTomlValue } from "./format-config-issues.js";

const UNIT_BYTES: Readonly<Record<string, number>> = {
  "": 1,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
  ki: 1024,
  mi: 1024 ** 2,
  gi: 1024 ** 3,
  ti: 1024 ** 4,
};

const BYTE_SIZE = /^(\d+(?:\.\d+)?)\s*([kmgt]i?)?b?$/i;
const EXAMPLES = `e.g. "512MiB", "1.5GiB", "800k" or a number of bytes`;

/**
 * Bytes from a number of bytes or a string like "64MiB", "1.5GiB", "512MB", "800k": k/M/G/T are
 * decimal, KiB/MiB/GiB/TiB binary, units are case-insensitive and the trailing B is optional.
 * Throws an Error whose message is fit to show a user.
 */
export function parseByteSize(input: string | number): number {
  if (typeof input === "number") {
    if (!Number.isSafeInteger(input) || input < 0) {
      throw new Error(`invalid byte size ${input} (expected a whole number of bytes >= 0)`);
    }
    return input;
  }
  if (typeof input !== "string") throw new Error(`expected a byte size (${EXAMPLES})`);
  const match = BYTE_SIZE.exec(input.trim());
  const multiplier = UNIT_BYTES[(match?.[2] ?? "").toLowerCase()];
  if (match?.[1] === undefined || multiplier === undefined) {
    throw new Error(`invalid byte size ${describeTomlValue(input)} (${EXAMPLES})`);
  }
  const bytes = Math.round(Number(match[1]) * multiplier);
  if (!Number.isSafeInteger(bytes)) throw new Error(`byte size ${describeTomlValue(input)} is too large`);
  return bytes;
}

const BINARY_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** A human size in binary units, e.g. "1.5 GiB", "512 MiB", "800 B". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const sign = bytes < 0 ? "-" : "";
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  // Two decimals under 10, one under 100, none above: enough to tell sizes apart, never noisy.
  const digits = unit === 0 ? 0 : value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${sign}${Number(value.toFixed(digits))} ${BINARY_UNITS[unit]}`;
}
