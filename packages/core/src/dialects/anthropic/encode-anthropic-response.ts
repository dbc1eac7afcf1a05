import type { CanonicalChatResponse } from "../../canonical/chat-response.js";
import type { NewId, Translation } from "../shared/translation.js";
import {
  NO_CONTENT_TEXT,
  type AnthropicResponseBlock,
  type AnthropicResponseMessage,
} from "./anthropic-message.js";
import { encodeAnthropicUsage } from "./anthropic-usage.js";
import { toAnthropicStopReason } from "./map-anthropic-stop-reason.js";
import { parseToolInput } from "./parse-tool-input.js";

export interface EncodeAnthropicOptions {
  /** The model string the client sent (an alias), echoed back instead of the backend's id. */
  requestedModel: string;
  newId: NewId;
}

/**
 * Canonical response → Anthropic `Message` (docs/api-spec.md §1.5): thinking first (with a synthetic signature
 * Claude Code will echo back and we drop), text only when it has non-whitespace, then tool_use blocks
 * with parsed `input` (a call cut off by `max_tokens` keeps its complete members, as the Anthropic SDK
 * reads the same call streamed). Never zero blocks: see `NO_CONTENT_TEXT`.
 */
export function encodeAnthropicResponse(
  response: CanonicalChatResponse,
  options: EncodeAnthropicOptions,
): Translation<AnthropicResponseMessage> {
  const warnings: string[] = [];
  const content: AnthropicResponseBlock[] = [];
  if (response.reasoning && response.reasoning.trim() !== "") {
    content.push({ type: "thinking", thinking: response.reasoning, signature: options.newId("sig_") });
  }
  if (response.text.trim() !== "") content.push({ type: "text", text: response.text });
  // Out of tokens: the last call may be cut off mid-argument; it stays, with what was complete.
  const cutOff = response.finishReason.unified === "length";
  response.toolCalls.forEach((call, index) => {
    const { input, problem } = parseToolInput(call.arguments, { cutOff });
    if (problem) warnings.push(`tool call ${index} (${call.name}): ${problem}; sent {}`);
    content.push({
      type: "tool_use",
      id: toAnthropicToolUseId(call.id, options.newId),
      name: call.name,
      input,
    });
  });
  if (content.length === 0) content.push({ type: "text", text: NO_CONTENT_TEXT });

  const stopReason = toAnthropicStopReason(response.finishReason.unified, {
    hasToolUse: response.toolCalls.length > 0,
    stopSequence: response.stopSequence,
  });
  return {
    value: {
      id: options.newId("msg_"),
      type: "message",
      role: "assistant",
      model: options.requestedModel,
      content,
      stop_reason: stopReason,
      stop_sequence: stopReason === "stop_sequence" ? (response.stopSequence ?? null) : null,
      usage: encodeAnthropicUsage(response.usage),
    },
    warnings,
  };
}

/**
 * Anthropic tool-use ids must match `^[a-zA-Z0-9_-]+$`; backends send things like Kimi's
 * `functions.Bash:0`. Deterministic, so the id Claude Code echoes back in `tool_result` matches the
 * assistant turn it also echoes back.
 */
export function toAnthropicToolUseId(id: string, newId: NewId): string {
  const normalised = id.replace(/[^a-zA-Z0-9_-]/g, "_");
  return normalised === "" ? newId("toolu_") : normalised;
}
