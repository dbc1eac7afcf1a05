import type { NewId } from "../shared/translation.js";

/**
 * Anthropic tool-use ids must match `^[a-zA-Z0-9_-]+$`; backends send things like Kimi's
 * `functions.Bash:0`. Deterministic, so the id Claude Code echoes back in `tool_result` matches the
 * assistant turn it also echoes back.
 */
export function toAnthropicToolUseId(id: string, newId: NewId): string {
  const normalised = id.replace(/[^a-zA-Z0-9_-]/g, "_");
  return normalised === "" ? newId("toolu_") : normalised;
}
