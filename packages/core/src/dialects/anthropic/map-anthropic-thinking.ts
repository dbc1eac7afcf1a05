import type { ReasoningEffort } from "../../canonical/chat-request.js";
import { parseReasoningEffort } from "../shared/reasoning-effort.js";
import type { AnthropicThinking } from "./anthropic-request-schema.js";

/**
 * `thinking` (+ `output_config.effort`) → one reasoning effort (docs/api-spec.md §3.1):
 * - `enabled`: the budget picks a bucket: ≤ 4 096 low, ≤ 16 384 medium, above that high
 *   (Claude Code sends 31 999 for Haiku → high);
 * - `adaptive` or absent: `output_config.effort` when given, else the model's default (undefined);
 * - `disabled`: "none", so reasoning models skip thinking (Claude Code's Explore subagent asks for
 *   speed this way).
 */
export function mapAnthropicThinking(
  thinking: AnthropicThinking | null | undefined,
  effort: string | null | undefined,
  warnings: string[],
): ReasoningEffort | undefined {
  const requested = parseReasoningEffort(effort, "output_config.effort", warnings);
  if (thinking === null || thinking === undefined) return requested;
  switch (thinking.type) {
    case "disabled":
      return "none";
    case "enabled":
      if (thinking.budget_tokens <= 4096) return "low";
      if (thinking.budget_tokens <= 16384) return "medium";
      return "high";
    case "adaptive":
      return requested;
    default: {
      const unknown: never = thinking;
      return unknown;
    }
  }
}
