import type { ServerResponse } from "node:http";
import type { CortexError } from "@cortex/core";
import { sendJson } from "./http-json.js";

export interface OpenAIErrorObject {
  message: string;
  type: string;
  param: string | null;
  code: string;
}

/**
 * The OpenAI error envelope as the real neuron sends it, written out here rather than borrowed from
 * the gateway's own renderer, so the fake checks the gateway's decoder against the wire, not itself.
 */
export function openAIErrorObject(error: CortexError): OpenAIErrorObject {
  const status = wireStatus(error.status);
  return {
    message: error.message,
    type: status === 401 ? "authentication_error" : status >= 500 ? "server_error" : "invalid_request_error",
    param: error.param ?? null,
    code: error.code === "authentication_failed" ? "invalid_api_key" : error.code,
  };
}

export function sendOpenAIError(res: ServerResponse, error: CortexError): void {
  const headers: Record<string, string> = { "x-should-retry": String(error.retryable) };
  if (error.retryAfter !== undefined) headers["retry-after"] = String(error.retryAfter);
  sendJson(res, wireStatus(error.status), { error: openAIErrorObject(error) }, headers);
}

/** 499 (client went away) is nginx's, not HTTP's; OpenAI clients do not know it. */
function wireStatus(status: number): number {
  return status === 499 ? 400 : status;
}
