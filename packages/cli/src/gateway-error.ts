import { EXIT } from "./cli-error.js";

/** A gateway call that failed: one line for the user and the exit code scripts rely on. */
export class GatewayError extends Error {
  override name = "GatewayError";
  readonly exitCode: number;

  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

export function isGatewayError(error: unknown): error is GatewayError {
  return error instanceof GatewayError;
}

/** Exit 3: nothing answered at `url` (refused, unknown host, no answer in time). */
export function unreachable(url: string, reason: string): GatewayError {
  return new GatewayError(`cannot reach the gateway at ${url} (${reason})`, EXIT.unavailable);
}

/** Exit 1: the gateway answered, and the answer was a failure. */
export function requestFailed(message: string): GatewayError {
  return new GatewayError(message, EXIT.failure);
}

const REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  UND_ERR_SOCKET: "connection closed",
  UND_ERR_HEADERS_TIMEOUT: "no answer in time",
};

/** Why `fetch` failed, in a few words: `fetch failed` itself says nothing, its cause does. */
export function describeFetchFailure(error: unknown): string {
  if (error instanceof Error && error.name === "TimeoutError") return "no answer in time";
  let cause: unknown = error instanceof Error && error.cause !== undefined ? error.cause : error;
  if (cause instanceof AggregateError && cause.errors.length > 0 && codeOf(cause) === undefined) {
    cause = cause.errors[0];
  }
  const code = codeOf(cause);
  if (code !== undefined && REASONS[code] !== undefined) return REASONS[code];
  if (code !== undefined) return code;
  return cause instanceof Error ? cause.message : String(cause);
}

/** The undici/libuv code of a fetch failure's cause, when it has one. */
export function fetchFailureCode(error: unknown): string | undefined {
  return codeOf(error instanceof Error && error.cause !== undefined ? error.cause : error);
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}
