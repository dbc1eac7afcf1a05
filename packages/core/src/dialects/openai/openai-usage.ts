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
    ...(typeof cached === "number" ? { cachedPromptTokens: cached } : {}),
  };
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : 0;
}
