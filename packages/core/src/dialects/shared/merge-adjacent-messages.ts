import type { CanonicalMessage } from "../../canonical/chat-request.js";

/**
 * Merges consecutive user turns and consecutive assistant turns, as the Anthropic API does: chat
 * templates expect user/assistant alternation. System and tool messages are never merged.
 */
export function mergeAdjacentMessages(messages: readonly CanonicalMessage[]): CanonicalMessage[] {
  const merged: CanonicalMessage[] = [];
  for (const message of messages) {
    const last = merged.at(-1);
    if (last?.role === "user" && message.role === "user") {
      merged[merged.length - 1] = { role: "user", content: [...last.content, ...message.content] };
    } else if (last?.role === "assistant" && message.role === "assistant") {
      merged[merged.length - 1] = mergeAssistant(last, message);
    } else {
      merged.push(message);
    }
  }
  return merged;
}

type AssistantMessage = Extract<CanonicalMessage, { role: "assistant" }>;

function mergeAssistant(first: AssistantMessage, second: AssistantMessage): AssistantMessage {
  const reasoning = joinNonEmpty(first.reasoning ?? "", second.reasoning ?? "");
  return {
    role: "assistant",
    content: joinNonEmpty(first.content, second.content),
    ...(reasoning === "" ? {} : { reasoning }),
    toolCalls: [...first.toolCalls, ...second.toolCalls],
  };
}

function joinNonEmpty(a: string, b: string): string {
  if (a === "") return b;
  if (b === "") return a;
  return `${a}\n\n${b}`;
}
