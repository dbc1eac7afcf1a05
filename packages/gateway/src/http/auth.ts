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
  let match = false;
  for (const key of presented) {
    for (const candidate of allowed) if (secretMatches(key, candidate)) match = true;
  }
  return match;
}

export function requireKey(headers: IncomingHttpHeaders, allowed: readonly string[], what: string): void {
  const presented = presentedKeys(headers);
  if (presented.length === 0) {
    throw new CortexError(
      "authentication_failed",
      `missing ${what} (Authorization: Bearer <key> or x-api-key)`,
    );
  }
  if (!matchesAny(presented, allowed)) throw new CortexError("authentication_failed", `invalid ${what}`);
}
