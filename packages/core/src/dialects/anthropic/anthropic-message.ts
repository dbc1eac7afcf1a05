import type { AnthropicStopReason } from "./map-anthropic-stop-reason.js";
import type { AnthropicUsage } from "./anthropic-usage.js";

export type AnthropicResponseBlock =
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

/** The `Message` object (docs/api-spec.md §1.5), also the `message` of `message_start`. */
export interface AnthropicResponseMessage {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: AnthropicResponseBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

/**
 * What a turn with no content at all becomes. An empty message makes Claude Code retry and then show
 * nothing, and an empty (or whitespace) text block is rejected by the real API once Claude Code replays
 * it. This is the placeholder Claude Code itself substitutes for empty assistant turns.
 */
export const NO_CONTENT_TEXT = "(no content)";
