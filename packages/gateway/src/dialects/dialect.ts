import { renderAnthropicError, renderOpenAIError } from "@cortex/core";
import type { Dialect } from "../pipeline/exchange.js";

export const OPENAI: Dialect = { name: "openai", renderError: renderOpenAIError };
export const ANTHROPIC: Dialect = { name: "anthropic", renderError: renderAnthropicError };
/** The Responses API: OpenAI's error envelope, its own name in the metrics. */
export const RESPONSES: Dialect = { name: "responses", renderError: renderOpenAIError };
