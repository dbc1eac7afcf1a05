/** An error ready for the HTTP layer: status, headers and JSON body in one dialect's envelope. */
export interface RenderedError<Body> {
  status: number;
  headers: Record<string, string>;
  body: Body;
}

/** Headers both dialects share: SDKs honour `retry-after` (seconds) and `x-should-retry`. */
export function retryHeaders(error: {
  retryable: boolean;
  retryAfter: number | undefined;
}): Record<string, string> {
  const headers: Record<string, string> = { "x-should-retry": String(error.retryable) };
  if (error.retryAfter !== undefined)
    headers["retry-after"] = String(Math.max(0, Math.ceil(error.retryAfter)));
  return headers;
}
