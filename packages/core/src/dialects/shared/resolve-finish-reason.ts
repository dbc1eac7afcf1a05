import type { UnifiedFinishReason } from "../../canonical/chat-response.js";

/**
 * Backends often say "stop" after emitting tool calls; clients only run tools on "tool_calls".
 * "length" stays: a call cut off by the token limit must not look complete.
 */
export function resolveFinishReason(
  unified: UnifiedFinishReason,
  emittedToolCalls: boolean,
): UnifiedFinishReason {
  if (emittedToolCalls && (unified === "stop" || unified === "stop_sequence")) return "tool_calls";
  return unified;
}
