import { resolve } from "node:path";
import { z } from "zod";
import { parseByteSize } from "./byte-size.js";
import { parseDuration } from "./duration.js";
import { describeTomlValue, MISSING_KEY_MESSAGE } from "./format-config-issues.js";
import { parseListenAddress } from "./listen-address.js";

/**
 * Schemas for one TOML value each, built on a parse function that throws a user-facing message, so the
 * standalone helpers (parseByteSize, ...) and the config files reject bad input in the same words.
 */
export function tomlValue<T>(parse: (value: unknown) => T) {
  return z.unknown().transform((value, ctx): T => {
    try {
      // Reached for an absent key unless the schema is wrapped in optional() or prefault().
      if (value === undefined) throw new Error(MISSING_KEY_MESSAGE);
      return parse(value);
    } catch (error) {
      ctx.addIssue({
        code: "custom",
        message: error instanceof Error ? error.message : String(error),
        input: value,
      });
      return z.NEVER;
    }
  });
}

function expected(what: string, value: unknown): Error {
  return new Error(`expected ${what} (got ${describeTomlValue(value)})`);
}

interface Range {
  min?: number;
  max?: number;
}

function checkRange(value: number, { min, max }: Range, show: string = describeTomlValue(value)): void {
  if (min !== undefined && value < min) throw new Error(`must be >= ${min} (got ${show})`);
  if (max !== undefined && value > max) throw new Error(`must be <= ${max} (got ${show})`);
}

function toInteger(value: unknown, range: Range): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) throw expected("an integer", value);
  checkRange(value, range);
  return value;
}

export function integer(range: Range = {}) {
  return tomlValue((value) => toInteger(value, range));
}

/** A finite number (TOML's inf and nan are rejected). */
export function finiteNumber(range: Range = {}) {
  return tomlValue((value) => {
    if (typeof value !== "number" || !Number.isFinite(value)) throw expected("a number", value);
    checkRange(value, range);
    return value;
  });
}

export function byteSize(range: Range = {}) {
  return tomlValue((value) => {
    if (typeof value !== "string" && typeof value !== "number") {
      throw expected(`a byte size like "64MiB" or a number of bytes`, value);
    }
    const bytes = parseByteSize(value);
    checkRange(bytes, range, `${describeTomlValue(value)}`);
    return bytes;
  });
}

/**
 * The longest delay `setTimeout` and `AbortSignal.timeout` honour. A longer one fires after 1 ms (with a
 * TimeoutOverflowWarning), or makes `AbortSignal.timeout` throw, so no configured duration may exceed it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function duration(range: Range = {}) {
  return tomlValue((value) => {
    if (typeof value !== "string" && typeof value !== "number") {
      throw expected(`a duration like "5s" or a number of milliseconds`, value);
    }
    const ms = parseDuration(value);
    checkRange(ms, range, describeTomlValue(value));
    if (!(ms <= MAX_TIMER_MS)) {
      throw new Error(
        `must be <= ${MAX_TIMER_MS} ms, about ${Math.floor(MAX_TIMER_MS / 3_600_000)}h, the longest timer Node.js can arm (got ${describeTomlValue(value)})`,
      );
    }
    return ms;
  });
}

export function listenAddress() {
  return tomlValue((value) => {
    if (typeof value !== "string") throw expected(`a listen address like "0.0.0.0:31313"`, value);
    return parseListenAddress(value);
  });
}

/**
 * The URL without a trailing slash, so callers can append "/v1/..."; undefined when it is not a plain
 * http(s) URL.
 */
export function normalizeHttpUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.search !== "" || url.hash !== "" || url.hostname === "") return undefined;
  return url.href.replace(/\/+$/, "");
}

export function httpUrl() {
  return tomlValue((value) => {
    if (typeof value !== "string") throw expected("an http(s) URL", value);
    const url = normalizeHttpUrl(value);
    if (url === undefined) throw new Error(`invalid URL ${describeTomlValue(value)}`);
    return url;
  });
}

const NODE_NAME = /^[A-Za-z0-9._-]+$/;

export function isNodeName(text: string): boolean {
  return NODE_NAME.test(text);
}

/** Node names appear in metrics labels and URLs, hence the small alphabet. */
export function nodeName() {
  return tomlValue((value) => {
    if (typeof value !== "string") throw expected("a name", value);
    if (!isNodeName(value)) {
      throw new Error(`invalid name ${describeTomlValue(value)} (use letters, digits, ".", "_" and "-")`);
    }
    return value;
  });
}

export function nonEmptyString() {
  return z.string().min(1);
}

/** A path from the file, resolved against the file's directory so the result does not depend on cwd. */
export function filePath(baseDir: string) {
  return nonEmptyString().transform((path) => resolve(baseDir, path));
}
