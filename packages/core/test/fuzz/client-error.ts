import { CortexError } from "../../src/errors/index.js";

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: CortexError };

/**
 * Runs a decoder on fuzzed input: it may succeed, or refuse with a client error (a 4xx CortexError whose
 * message is one printable line naming the problem). Anything else (a TypeError, a RangeError, a 500, a
 * message with a stack or `[object Object]` in it) fails the property.
 */
export function decodedOrClientError<T>(decode: () => T): Outcome<T> {
  try {
    return { ok: true, value: decode() };
  } catch (error) {
    const problem = clientErrorProblem(error);
    if (problem !== undefined) throw new Error(`not a client error: ${problem}`, { cause: error });
    return { ok: false, error: error as CortexError };
  }
}

/** Why `error` is not a clean 4xx answer, or undefined when it is one. */
export function clientErrorProblem(error: unknown): string | undefined {
  if (!(error instanceof CortexError)) {
    return `${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  }
  if (error.status < 400 || error.status >= 500)
    return `status ${error.status} (${error.code}): ${error.message}`;
  return messageProblem(error.message);
}

/** A message a client can show as is: non-empty, one line, no JavaScript leaking through. */
export function messageProblem(message: string): string | undefined {
  if (message.trim() === "") return "empty message";
  if (/[\r\n]/.test(message)) return `multi-line message: ${JSON.stringify(message.slice(0, 300))}`;
  if (/\[object Object\]|\bat .+:\d+:\d+\)/.test(message))
    return `message leaks internals: ${message.slice(0, 300)}`;
  return undefined;
}
