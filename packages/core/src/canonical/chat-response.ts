import type { ToolCall } from "./chat-request.js";

/**
 * Finish reasons unified across dialects (vercel/ai style): `unified` drives behaviour, `raw` keeps what
 * the producer said for logs.
 */
export type UnifiedFinishReason =
  "stop" | "length" | "tool_calls" | "stop_sequence" | "content_filter" | "error";

export interface FinishReason {
  unified: UnifiedFinishReason;
  raw?: string;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens served from a KV/prefix cache, when the producer knows. */
  cachedPromptTokens?: number;
}

export interface CanonicalChatResponse {
  id: string;
  model: string;
  /** Unix seconds. */
  created: number;
  text: string;
  reasoning?: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  /** The stop sequence that ended generation when `finishReason.unified === "stop_sequence"`. */
  stopSequence?: string;
  usage: Usage;
}
