import { CortexError } from "../../errors/cortex-error.js";
import { isErrorCode, type ErrorCode } from "../../errors/error-codes.js";
import { asRecord } from "../shared/translation.js";

export interface DecodeOpenAIErrorOptions {
  /** HTTP status of the response, when the error was not a mid-stream chunk. */
  status?: number;
  /** Parsed `retry-after` header, seconds. */
  retryAfter?: number;
}

/** OpenAI's names for codes, back to ours (the reverse of what `renderOpenAIError` sends). */
const CODE_ALIASES: Readonly<Record<string, ErrorCode>> = {
  invalid_api_key: "authentication_failed",
  rate_limit_exceeded: "rate_limited",
};

/** Error `type`s seen from OpenAI, vLLM and llama.cpp, for when no usable status came with them. */
const TYPE_CODES: Readonly<Record<string, ErrorCode>> = {
  invalid_request_error: "invalid_request",
  authentication_error: "authentication_failed",
  permission_error: "permission_denied",
  not_found_error: "not_found",
  requests: "rate_limited",
  tokens: "rate_limited",
  rate_limit_error: "rate_limited",
  unavailable_error: "no_capacity",
  exceed_context_size_error: "context_length_exceeded",
};

/**
 * An upstream error body (`{error:{message,type,code,param}}`, llama.cpp's numeric `code`, FastAPI's
 * `{detail}`, a bare string) → CortexError. Context overflows are reworded to the form Claude Code
 * parses to trigger compaction: `prompt is too long: X tokens > Y maximum`.
 */
export function decodeOpenAIError(body: unknown, options: DecodeOpenAIErrorOptions = {}): CortexError {
  const record = asRecord(body);
  const inner = asRecord(record?.["error"]);
  const message =
    text(inner?.["message"]) ??
    text(record?.["error"]) ??
    text(record?.["message"]) ??
    text(record?.["detail"]) ??
    `upstream error${options.status === undefined ? "" : ` (HTTP ${options.status})`}`;
  const rawCode = inner?.["code"];
  const type = text(inner?.["type"]);
  const status = options.status ?? (typeof rawCode === "number" ? rawCode : undefined);
  const code = pickCode(text(rawCode), type, status, message);
  const param = text(inner?.["param"]);
  return new CortexError(
    code,
    code === "context_length_exceeded" ? contextMessage(message, inner) : message,
    {
      cause: body,
      ...(options.retryAfter === undefined ? {} : { retryAfter: options.retryAfter }),
      ...(param === undefined ? {} : { param }),
    },
  );
}

function pickCode(
  code: string | undefined,
  type: string | undefined,
  status: number | undefined,
  message: string,
): ErrorCode {
  if (code !== undefined && isErrorCode(code)) return code;
  const alias = known(CODE_ALIASES, code);
  if (alias) return alias;
  const typed = known(TYPE_CODES, type);
  if (typed === "context_length_exceeded") return typed;
  if (
    /maximum context length|exceeds? the (available )?context|context window|prompt is too long/i.test(
      message,
    )
  )
    return "context_length_exceeded";
  if (status !== undefined) return codeForStatus(status, message);
  if (typed) return typed;
  return "upstream_error";
}

function codeForStatus(status: number, message: string): ErrorCode {
  switch (status) {
    case 400:
    case 422:
      return "invalid_request";
    case 401:
      return "authentication_failed";
    case 403:
      return "permission_denied";
    case 404:
      return /model/i.test(message) ? "model_not_found" : "not_found";
    case 408:
    case 504:
      return "upstream_timeout";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limited";
    case 503:
    case 529:
      return "no_capacity";
    default:
      return status >= 400 && status < 500 ? "invalid_request" : "upstream_error";
  }
}

/** llama.cpp sends the numbers as fields; vLLM and OpenAI only in prose. */
function contextMessage(message: string, inner: Record<string, unknown> | undefined): string {
  if (/prompt is too long/i.test(message)) return message;
  const prompt = inner?.["n_prompt_tokens"];
  const limit = inner?.["n_ctx"];
  if (typeof prompt === "number" && typeof limit === "number") return tooLong(prompt, limit);
  const max = /maximum context length is (\d+)/i.exec(message)?.[1];
  // The total asked for, not just the messages: that is the number that exceeded the limit.
  const used =
    /requested (\d+) tokens/i.exec(message)?.[1] ??
    /resulted in (\d+) tokens/i.exec(message)?.[1] ??
    /\((\d+) in the messages/i.exec(message)?.[1];
  if (max !== undefined && used !== undefined) return tooLong(Number(used), Number(max));
  return message;
}

function tooLong(prompt: number, limit: number): string {
  return `prompt is too long: ${prompt} tokens > ${limit} maximum`;
}

/**
 * The table's own entry for an upstream's string: `constructor` or `toString` must not find
 * Object.prototype's function (a mid-stream `{"error":{"code":"constructor"}}` was a TypeError, a 500).
 */
function known(table: Readonly<Record<string, ErrorCode>>, key: string | undefined): ErrorCode | undefined {
  return key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
