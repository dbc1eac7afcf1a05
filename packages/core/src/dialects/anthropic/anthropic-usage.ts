import type { Usage } from "../../canonical/chat-response.js";

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  server_tool_use: null;
  service_tier: "standard";
}

/**
 * Anthropic's `input_tokens` excludes cached tokens (total prompt = input + cache_read + cache_creation).
 * A prefix-cache hit on the neuron is a cache read; nothing is ever "written" in Anthropic's sense.
 */
export function encodeAnthropicUsage(usage: Usage): AnthropicUsage {
  const cached = Math.min(usage.cachedPromptTokens ?? 0, usage.promptTokens);
  return {
    input_tokens: usage.promptTokens - cached,
    output_tokens: usage.completionTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    server_tool_use: null,
    service_tier: "standard",
  };
}
