import type { Usage } from "../../canonical/chat-response.js";

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

export function encodeOpenAIUsage(usage: Usage): OpenAIUsage {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedPromptTokens ?? 0 },
  };
}

/**
 * cortex's one extension of the OpenAI chat stream (the neuron protocol): a request with
 * `stream_options.include_prompt_usage: true` gets, before the first token, one chunk without choices
 * whose `prompt_usage` is the usage known at that point (an OpenAI `usage` object, `completion_tokens`
 * 0). Only asked for by the gateway's translated dialects, so OpenAI clients never see it unless they ask.
 */
export const PROMPT_USAGE_OPTION = "include_prompt_usage";
export const PROMPT_USAGE_FIELD = "prompt_usage";

/** Lenient: backends omit fields, send `null`, or put llama.cpp's cache count elsewhere. */
export function decodeOpenAIUsage(usage: unknown): Usage | undefined {
  if (typeof usage !== "object" || usage === null) return undefined;
  const record = usage as Record<string, unknown>;
  const details = record["prompt_tokens_details"];
  const cached =
    typeof details === "object" && details !== null
      ? (details as Record<string, unknown>)["cached_tokens"]
      : undefined;
  return {
    promptTokens: count(record["prompt_tokens"]),
    completionTokens: count(record["completion_tokens"]),
    ...(isCount(cached) ? { cachedPromptTokens: cached } : {}),
  };
}

/** A token count is a whole number ≥ 0; anything else a backend sends is "unknown" (0), never passed on. */
function count(value: unknown): number {
  return isCount(value) ? value : 0;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
