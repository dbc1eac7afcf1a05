import type { CortexError } from "../../errors/cortex-error.js";
import { retryHeaders, type RenderedError } from "../shared/rendered-error.js";
import { mapAnthropicError } from "./map-anthropic-error.js";

export interface AnthropicErrorBody {
  type: "error";
  error: { type: string; message: string };
  request_id?: string;
}

/**
 * The one place a CortexError becomes an Anthropic error response. Messages go out unchanged: a context
 * overflow already reads `prompt is too long: X tokens > Y maximum`, the text Claude Code parses to
 * compact the conversation.
 */
export function renderAnthropicError(
  error: CortexError,
  requestId?: string,
): RenderedError<AnthropicErrorBody> {
  const { status, type } = mapAnthropicError(error.status);
  const headers: Record<string, string> = { "content-type": "application/json", ...retryHeaders(error) };
  if (requestId !== undefined) headers["request-id"] = requestId;
  return {
    status,
    headers,
    body: {
      type: "error",
      error: { type, message: error.message },
      ...(requestId === undefined ? {} : { request_id: requestId }),
    },
  };
}
