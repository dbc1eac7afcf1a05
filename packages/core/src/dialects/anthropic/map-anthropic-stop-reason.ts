import type { UnifiedFinishReason } from "../../canonical/chat-response.js";

export type AnthropicStopReason =
  | "end_turn"
  | "max_tokens"
  | "stop_sequence"
  | "tool_use"
  | "pause_turn"
  | "refusal"
  | "model_context_window_exceeded";

/**
 * Canonical → Anthropic. `tool_use` only when a tool_use block was actually sent (Claude Code looks for
 * the blocks), `stop_sequence` only with the sequence that matched. `content_filter` is `end_turn`, not
 * `refusal`: Claude Code turns `refusal` into an Anthropic usage-policy error that would mislead here.
 */
export function toAnthropicStopReason(
  unified: UnifiedFinishReason,
  context: { hasToolUse: boolean; stopSequence?: string | undefined },
): AnthropicStopReason {
  switch (unified) {
    case "stop":
    case "content_filter":
    case "error":
      return context.hasToolUse ? "tool_use" : "end_turn";
    case "length":
      return "max_tokens";
    case "tool_calls":
      return context.hasToolUse ? "tool_use" : "end_turn";
    case "stop_sequence":
      if (context.hasToolUse) return "tool_use";
      return context.stopSequence === undefined ? "end_turn" : "stop_sequence";
    default: {
      const unknown: never = unified;
      return unknown;
    }
  }
}
