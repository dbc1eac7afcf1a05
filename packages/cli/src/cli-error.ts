import { isConfigError, isCortexError } from "@cortex/core";

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failure: 1, usage: 2, unavailable: 3 } as const;

/** One clear line per problem, never a stack trace for a user mistake. */
export function reportError(error: unknown): number {
  if (isConfigError(error)) {
    for (const issue of error.issues) process.stderr.write(`error: ${issue}\n`);
    return EXIT.usage;
  }
  if (isCortexError(error)) {
    process.stderr.write(`error: ${error.message}\n`);
    return error.status === 503 || error.code === "node_unavailable" ? EXIT.unavailable : EXIT.failure;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT.usage;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`error: ${message}\n`);
  return EXIT.failure;
}

export class UsageError extends Error {
  override name = "UsageError";
}
