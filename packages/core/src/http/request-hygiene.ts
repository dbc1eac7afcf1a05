import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { CortexError } from "../errors/cortex-error.js";

/**
 * What both HTTP servers check on every request before trusting it (issue 11, finding 10): how deep
 * the JSON body nests, which request id to use (the client's when safe, else a fresh one), and whether a
 * presented secret matches the configured one.
 */

/**
 * JSON nesting a request may have. V8 parses 100k levels fine, but every recursive step after it (zod,
 * the dialect decoders, JSON.stringify) overflows the stack: a 500 from a 200 kB body. Real requests
 * (tool schemas included) nest a few dozen levels at most.
 */
export const MAX_JSON_DEPTH = 128;

/** Whether `text` opens more than `limit` arrays/objects at once; strings are skipped, escapes too. */
export function jsonNestsDeeperThan(text: string, limit: number): boolean {
  // Cheap exit for the common small body: it cannot hold limit + 1 brackets.
  if (text.length <= limit) return false;
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c)
        index++; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      if (++depth > limit) return true;
    } else if (code === 0x5d || code === 0x7d) depth--;
  }
  return false;
}

type Done = (error: Error | null, value?: unknown) => void;
/** A framework body parser, callback or promise style (Fastify's `FastifyBodyParser<string>`). */
type BodyParser<R> =
  ((request: R, body: string, done: Done) => void) | ((request: R, body: string) => Promise<unknown>);

/**
 * Wraps a framework's JSON body parser (Fastify's default, with its prototype-poisoning checks) so a
 * body nested deeper than MAX_JSON_DEPTH is a 400 before it is parsed.
 */
export function limitJsonDepth<R>(
  parse: BodyParser<R>,
): (request: R, body: string | Buffer, done: Done) => void {
  return (request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) {
      done(new CortexError("invalid_request", `JSON body nested deeper than ${MAX_JSON_DEPTH} levels`));
      return;
    }
    if (parse.length >= 3) (parse as (request: R, body: string, done: Done) => void)(request, text, done);
    else
      (parse as (request: R, body: string) => Promise<unknown>)(request, text).then(
        (value) => done(null, value),
        done,
      );
  };
}

/** A client's `x-request-id` is echoed and logged only when it is this: short, no markup, no spaces. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:+/=-]{1,128}$/;

/** The client's own request id when it is safe to echo and log, else undefined (generate one). */
export function acceptRequestId(given: unknown): string | undefined {
  return typeof given === "string" && SAFE_REQUEST_ID.test(given) ? given : undefined;
}

/**
 * Unique ids for requests, messages and tool calls (`req_…`, `msg_…`, `call_…`): `prefix` plus 32 hex
 * characters. `randomUUID` draws from a cached entropy pool, so it is cheap enough for every request.
 */
export function newId(prefix: string): string {
  return `${prefix}${randomUUID().replaceAll("-", "")}`;
}

/**
 * Compares a presented secret (API key, admin key, neuron token) with a configured one in time that
 * depends on neither's content nor length: both are hashed to 32 bytes first, so even a length
 * mismatch goes through the same constant-time comparison.
 */
export function secretMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

function digest(secret: string): Buffer {
  return createHash("sha256").update(secret, "utf8").digest();
}
