import type { CanonicalMessage } from "../../canonical/chat-request.js";

/**
 * Leaves at most one system message, at the start. Many chat templates (Qwen3, Llama, Gemma) raise
 * "system message must be at the beginning", and Claude Code sends `role:"system"` mid-conversation on
 * every turn. Leading system messages are joined; later ones become user text wrapped in
 * `<system-reminder>` (the convention Claude Code itself uses for injected context), appended to the user
 * turn they follow so user/assistant alternation survives.
 */
export function foldSystemMessages(messages: readonly CanonicalMessage[]): CanonicalMessage[] {
  const leading: string[] = [];
  const rest: CanonicalMessage[] = [];
  for (const message of messages) {
    if (message.role !== "system") {
      rest.push(message);
      continue;
    }
    if (rest.length === 0) {
      if (message.content !== "") leading.push(message.content);
      continue;
    }
    const reminder = {
      type: "text" as const,
      text: `<system-reminder>\n${message.content}\n</system-reminder>`,
    };
    const last = rest.at(-1);
    if (last?.role === "user") rest[rest.length - 1] = { role: "user", content: [...last.content, reminder] };
    else rest.push({ role: "user", content: [reminder] });
  }
  if (leading.length === 0) return rest;
  return [{ role: "system", content: leading.join("\n\n") }, ...rest];
}
