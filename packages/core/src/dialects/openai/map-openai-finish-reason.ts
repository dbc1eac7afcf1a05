import type { FinishReason, UnifiedFinishReason } from "../../canonical/chat-response.js";

export type OpenAIFinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/** Backend → canonical. Unknown values (`eos`, `abort`, vendor strings) count as a normal stop. */
export function mapOpenAIFinishReason(raw: string | null | undefined): FinishReason {
  switch (raw) {
    case "stop":
      return { unified: "stop", raw };
    case "length":
      return { unified: "length", raw };
    case "tool_calls":
    case "function_call":
      return { unified: "tool_calls", raw };
    case "content_filter":
      return { unified: "content_filter", raw };
    case null:
    case undefined:
      return { unified: "stop" };
    default:
      return { unified: "stop", raw };
  }
}

/** Canonical → OpenAI. OpenAI has no "stop sequence" or "error" reason: both finished the turn. */
export function toOpenAIFinishReason(unified: UnifiedFinishReason): OpenAIFinishReason {
  switch (unified) {
    case "stop":
    case "stop_sequence":
    case "error":
      return "stop";
    case "length":
      return "length";
    case "tool_calls":
      return "tool_calls";
    case "content_filter":
      return "content_filter";
    default: {
      const unknown: never = unified;
      return unknown;
    }
  }
}

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
