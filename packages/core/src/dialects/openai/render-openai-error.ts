import type { CortexError } from "../../errors/cortex-error.js";
import { retryHeaders, type RenderedError } from "../shared/rendered-error.js";
import { mapOpenAIErrorType } from "./map-openai-error-type.js";

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

/** OpenAI's names for the two codes its SDK users match on; every other code goes out as is. */
const OPENAI_CODE_NAMES: Readonly<Record<string, string>> = {
  authentication_failed: "invalid_api_key",
  rate_limited: "rate_limit_exceeded",
};

/** The one place a CortexError becomes an OpenAI error response. */
export function renderOpenAIError(error: CortexError, requestId?: string): RenderedError<OpenAIErrorBody> {
  const status = openAIStatus(error.status);
  const headers: Record<string, string> = { "content-type": "application/json", ...retryHeaders(error) };
  if (requestId !== undefined) headers["x-request-id"] = requestId;
  return { status, headers, body: { error: openAIErrorObject(error, status) } };
}

/** The `error` object alone, also used for mid-stream error chunks. */
export function openAIErrorObject(
  error: { message: string; code: string; param?: string | undefined; status: number },
  status = openAIStatus(error.status),
): OpenAIErrorBody["error"] {
  const param = error.param ?? (error.code === "context_length_exceeded" ? "messages" : null);
  return {
    message: error.message,
    type: mapOpenAIErrorType(status),
    param,
    code: OPENAI_CODE_NAMES[error.code] ?? error.code,
  };
}

/** 499 (client went away) is nginx's, not HTTP's; 529 is Anthropic's. OpenAI clients know neither. */
function openAIStatus(status: number): number {
  if (status === 499) return 400;
  if (status === 529) return 503;
  return status;
}
