/**
 * The one table of error codes. Each code has one HTTP status and says whether a client may retry.
 * Only the dialect renderers turn these into wire envelopes.
 */
export const ERROR_CODES = {
  invalid_request: { status: 400, retryable: false },
  context_length_exceeded: { status: 400, retryable: false },
  /** Responses API: `previous_response_id` names no stored response (OpenAI answers 400 with this code). */
  previous_response_not_found: { status: 400, retryable: false },
  authentication_failed: { status: 401, retryable: false },
  permission_denied: { status: 403, retryable: false },
  /** The Hugging Face hub refused a pull (gated or private repo): the neuron needs HF_TOKEN. */
  hub_access_denied: { status: 403, retryable: false },
  model_not_found: { status: 404, retryable: false },
  not_found: { status: 404, retryable: false },
  request_timeout: { status: 408, retryable: false },
  request_too_large: { status: 413, retryable: false },
  headers_too_large: { status: 431, retryable: false },
  rate_limited: { status: 429, retryable: true },
  request_aborted: { status: 499, retryable: false },
  internal_error: { status: 500, retryable: true },
  model_load_failed: { status: 500, retryable: false },
  upstream_error: { status: 502, retryable: true },
  no_capacity: { status: 503, retryable: true },
  insufficient_memory: { status: 503, retryable: true },
  node_unavailable: { status: 503, retryable: true },
  queue_full: { status: 503, retryable: true },
  /** Not enough disk space in models_dir for a pull. */
  insufficient_storage: { status: 507, retryable: false },
  overloaded: { status: 529, retryable: true },
  upstream_timeout: { status: 504, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}
