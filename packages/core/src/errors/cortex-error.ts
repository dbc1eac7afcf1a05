import { ERROR_CODES, type ErrorCode } from "./error-codes.js";

export interface CortexErrorOptions {
  cause?: unknown;
  /** Seconds a client should wait before retrying (503/429). */
  retryAfter?: number;
  /** Which request field was wrong, when one was. */
  param?: string;
  /** Overrides the table's status in the rare case a code is used with another (e.g. 529 vs 503). */
  status?: number;
}

export class CortexError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly retryAfter: number | undefined;
  readonly param: string | undefined;

  constructor(code: ErrorCode, message: string, options: CortexErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CortexError";
    this.code = code;
    this.status = options.status ?? ERROR_CODES[code].status;
    this.retryable = ERROR_CODES[code].retryable;
    this.retryAfter = options.retryAfter;
    this.param = options.param;
  }
}

export function isCortexError(error: unknown): error is CortexError {
  return error instanceof CortexError;
}

/** Turns anything thrown into a CortexError without losing the original as `cause`. */
export function toCortexError(error: unknown): CortexError {
  if (error instanceof CortexError) return error;
  if (error instanceof Error && error.name === "AbortError") {
    return new CortexError("request_aborted", "request aborted", { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CortexError("internal_error", message, { cause: error });
}
