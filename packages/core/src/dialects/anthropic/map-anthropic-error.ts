/**
 * Our HTTP status → Anthropic's status and `error.type` (docs/api-spec.md §1.7). The status can change: Anthropic
 * clients back off on 529 `overloaded_error` (our 503s: no capacity, queue full, node down), and know
 * neither 499 nor 502.
 */
export function mapAnthropicError(status: number): { status: number; type: string } {
  switch (status) {
    case 400:
    case 499:
      return { status: 400, type: "invalid_request_error" };
    case 401:
      return { status, type: "authentication_error" };
    case 403:
      return { status, type: "permission_error" };
    case 404:
      return { status, type: "not_found_error" };
    case 413:
      return { status, type: "request_too_large" };
    case 429:
      return { status, type: "rate_limit_error" };
    case 503:
    case 529:
      return { status: 529, type: "overloaded_error" };
    case 502:
      // A node answered with something that is not the protocol: the gateway's 502, as it is. Anthropic's
      // SDKs read any 5xx as a retryable api_error; a 500 would read as a bug in the gateway.
      return { status, type: "api_error" };
    case 504:
      // Anthropic's own pairing; SDKs and Claude Code retry it like any 5xx.
      return { status, type: "timeout_error" };
    default:
      if (status >= 400 && status < 500) return { status, type: "invalid_request_error" };
      return { status: 500, type: "api_error" };
  }
}
