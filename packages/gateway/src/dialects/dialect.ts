import type { IncomingHttpHeaders } from "node:http";
import { renderAnthropicError, renderOpenAIError } from "@cortex/core";
import type { Dialect } from "../pipeline/exchange.js";

/** The dialects clients speak to the gateway, and which one a request speaks before it is decoded. */

export const OPENAI: Dialect = { name: "openai", renderError: renderOpenAIError };
export const ANTHROPIC: Dialect = { name: "anthropic", renderError: renderAnthropicError };
/** The Responses API: OpenAI's error envelope, its own name in the metrics. */
export const RESPONSES: Dialect = { name: "responses", renderError: renderOpenAIError };

export type ClientDialect = "openai" | "anthropic";

/** Which envelope a route's errors use: the Messages API speaks Anthropic, everything else OpenAI. */
export function dialectOfPath(url: string): ClientDialect {
  const path = url.split("?")[0] ?? url;
  return /\/v1\/messages(\/|$)/.test(path) ? "anthropic" : "openai";
}

/** `GET /v1/models` answers in the Anthropic shape for Anthropic clients (docs/api-checklist.md item 10). */
export function wantsAnthropicShape(headers: IncomingHttpHeaders): boolean {
  return headers["anthropic-version"] !== undefined || headers["x-api-key"] !== undefined;
}
