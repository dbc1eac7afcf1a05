import type { CanonicalMessage, ContentPart } from "@cortex/core";
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse } from "node-llama-cpp";

/**
 * Canonical messages → node-llama-cpp's history. Tool results are not a role there: they are the
 * `result` of the function call they answer, so `tool` messages fold into the preceding model item.
 */
export function toChatHistory(messages: readonly CanonicalMessage[]): ChatHistoryItem[] {
  const results = new Map<string, { content: string; isError?: boolean }>();
  for (const message of messages) {
    if (message.role === "tool") results.set(message.toolCallId, message);
  }
  const answered = new Set<string>();
  const history: ChatHistoryItem[] = [];
  for (const message of messages) {
    switch (message.role) {
      case "system":
        history.push({ type: "system", text: message.content });
        break;
      case "user":
        history.push({ type: "user", text: partsToText(message.content) });
        break;
      case "assistant":
        history.push(toModelItem(message, results, answered));
        break;
      case "tool":
        // A result whose call is not in the history still has to reach the model somehow.
        if (!answered.has(message.toolCallId)) {
          history.push({
            type: "user",
            text: `Result of tool call ${message.toolCallId}:\n${message.content}`,
          });
        }
        break;
      default:
        message satisfies never;
    }
  }
  return history;
}

function toModelItem(
  message: Extract<CanonicalMessage, { role: "assistant" }>,
  results: Map<string, { content: string; isError?: boolean }>,
  answered: Set<string>,
): ChatModelResponse {
  const response: ChatModelResponse["response"] = [];
  if (message.reasoning) {
    response.push({ type: "segment", segmentType: "thought", text: message.reasoning, ended: true });
  }
  if (message.content) response.push(message.content);
  for (const call of message.toolCalls) {
    const result = results.get(call.id);
    if (result) answered.add(call.id);
    const functionCall: ChatModelFunctionCall = {
      type: "functionCall",
      name: call.name,
      params: parseJsonOr(call.arguments, call.arguments),
      result: result === undefined ? "" : toolResultValue(result),
    };
    response.push(functionCall);
  }
  return { type: "model", response };
}

function toolResultValue(result: { content: string; isError?: boolean }): unknown {
  // Wrappers JSON-encode results; keep structured results structured instead of double-quoting them.
  const value = parseJsonOr(result.content, result.content);
  return result.isError && typeof value === "string" && !value.startsWith("Error")
    ? `Error: ${value}`
    : value;
}

function parseJsonOr(text: string, fallback: unknown): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fallback;
  }
}

function partsToText(parts: readonly ContentPart[]): string {
  return parts
    .map((part) => (part.type === "text" ? part.text : "[image omitted: this model cannot see images]"))
    .join("\n");
}
