import type { ToolCall } from "../../canonical/chat-request.js";
import type { CanonicalChatResponse } from "../../canonical/chat-response.js";
import { CortexError } from "../../errors/cortex-error.js";
import { decodeOpenAIError } from "./decode-openai-error.js";
import { fallbackToolCallId } from "./openai-tool-call-assembler.js";
import { mapOpenAIFinishReason, resolveFinishReason } from "./map-openai-finish-reason.js";
import { decodeOpenAIUsage } from "./openai-usage.js";
import { asRecord } from "../shared/translation.js";

/**
 * A backend's non-streaming `chat.completion` → canonical response. Lenient like the stream decoder;
 * an `{error}` body or one without a choice throws (as `upstream_error` unless the body says better).
 */
export function decodeOpenAIChatResponse(json: unknown): CanonicalChatResponse {
  const body = asRecord(json);
  if (!body) throw new CortexError("upstream_error", "upstream returned a non-object chat completion");
  if (body["error"] !== undefined || body["object"] === "error") throw decodeOpenAIError(body);
  const choice = asRecord(Array.isArray(body["choices"]) ? body["choices"][0] : undefined);
  const message = asRecord(choice?.["message"]);
  if (!choice || !message)
    throw new CortexError("upstream_error", "upstream chat completion has no choices[0].message");

  const id = typeof body["id"] === "string" ? body["id"] : "";
  const toolCalls = Array.isArray(message["tool_calls"])
    ? message["tool_calls"].map((call, index) => decodeToolCall(call, fallbackToolCallId(id, index)))
    : [];
  const reason = mapOpenAIFinishReason(
    typeof choice["finish_reason"] === "string" ? choice["finish_reason"] : undefined,
  );
  const stopSequence = choice["stop_reason"];
  const matched = reason.unified === "stop" && typeof stopSequence === "string" && stopSequence !== "";
  const unified = resolveFinishReason(matched ? "stop_sequence" : reason.unified, toolCalls.length > 0);
  const reasoning = text(message["reasoning_content"]) || text(message["reasoning"]);
  return {
    id,
    model: typeof body["model"] === "string" ? body["model"] : "",
    created: typeof body["created"] === "number" ? body["created"] : 0,
    text: content(message["content"]),
    ...(reasoning === "" ? {} : { reasoning }),
    toolCalls,
    finishReason: { ...reason, unified },
    ...(matched && unified === "stop_sequence" ? { stopSequence } : {}),
    usage: decodeOpenAIUsage(body["usage"]) ?? { promptTokens: 0, completionTokens: 0 },
  };
}

function decodeToolCall(value: unknown, fallbackId: string): ToolCall {
  const call = asRecord(value) ?? {};
  const fn = asRecord(call["function"]) ?? {};
  const args = fn["arguments"];
  return {
    id: text(call["id"]) || fallbackId,
    name: text(fn["name"]),
    arguments:
      typeof args === "string" ? args : args === undefined || args === null ? "" : JSON.stringify(args),
  };
}

/** `content` as a string, null, or (some servers) text parts. */
function content(value: unknown): string {
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) return "";
  return value.map((part) => text(asRecord(part)?.["text"])).join("");
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}
