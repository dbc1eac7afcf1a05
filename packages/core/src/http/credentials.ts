import { createHash, timingSafeEqual } from "node:crypto";

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
