import type { IncomingHttpHeaders } from "node:http";
import { CortexError, secretMatches } from "@cortex/core";

/** `Authorization: Bearer <key>` or `x-api-key: <key>` (Anthropic clients send either, sometimes both). */
export function presentedKeys(headers: IncomingHttpHeaders): string[] {
  const keys: string[] = [];
  const authorization = headers.authorization;
  if (typeof authorization === "string" && authorization.startsWith("Bearer ")) {
    keys.push(authorization.slice("Bearer ".length).trim());
  }
  const apiKey = headers["x-api-key"];
  if (typeof apiKey === "string") keys.push(apiKey.trim());
  return keys;
}

/**
 * Constant-time in the keys' content and length (fixed-length digests); compares every configured key,
 * so timing does not say which one matched either.
 */
export function matchesAny(presented: readonly string[], allowed: readonly string[]): boolean {
  return matchingKey(presented, allowed) >= 0;
}

/** The index in `allowed` of the first key presented that matches, or -1; compares every pair. */
function matchingKey(presented: readonly string[], allowed: readonly string[]): number {
  let match = -1;
  for (const key of presented) {
    allowed.forEach((candidate, index) => {
      if (secretMatches(key, candidate) && match < 0) match = index;
    });
  }
  return match;
}

/** Throws unless a presented key is one of `allowed`; returns which (its settings are by index). */
export function requireKey(headers: IncomingHttpHeaders, allowed: readonly string[], what: string): number {
  const presented = presentedKeys(headers);
  if (presented.length === 0) {
    throw new CortexError(
      "authentication_failed",
      `missing ${what} (Authorization: Bearer <key> or x-api-key)`,
    );
  }
  const index = matchingKey(presented, allowed);
  if (index < 0) throw new CortexError("authentication_failed", `invalid ${what}`);
  return index;
}
