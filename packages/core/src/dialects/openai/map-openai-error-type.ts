/**
 * HTTP status → OpenAI `error.type`. The openai SDK picks its exception class from the status alone;
 * `type` is for humans and logs, following OpenAI's own values.
 */
export function mapOpenAIErrorType(status: number): string {
  switch (status) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 429:
      // OpenAI names the exhausted limit here ("requests" or "tokens"); ours are request limits.
      return "requests";
    default:
      return status >= 500 ? "server_error" : "invalid_request_error";
  }
}
