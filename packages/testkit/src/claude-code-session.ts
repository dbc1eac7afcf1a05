import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./repo-root.js";

type AnthropicBody = Record<string, unknown> & {
  system: { type: string; text: string }[];
  messages: unknown[];
};

/**
 * Claude Code request bodies around the recorded one (packages/core/test/__fixtures__/anthropic/
 * claude-code-request.json: billing-header and cache_control system blocks, 24 tools, a mid-conversation
 * `role:"system"` turn, thinking blocks, tool results): the same session one turn later, and the same
 * client in another folder (the system prompt names the working directory, as Claude Code's `<env>`
 * block does).
 */
export function claudeCodeSession(): {
  turn1: AnthropicBody;
  turn2: AnthropicBody;
  otherFolder: AnthropicBody;
} {
  const path = join(repoRoot(), "packages/core/test/__fixtures__/anthropic/claude-code-request.json");
  const recorded = JSON.parse(readFileSync(path, "utf8")) as AnthropicBody;
  const inFolder = (folder: string, billing: string): AnthropicBody => {
    const body = structuredClone(recorded);
    const [header, ...blocks] = body.system;
    // The billing header changes with every request (the decoder drops it).
    if (header) body.system = [{ ...header, text: header.text.replace("a3f", billing) }, ...blocks];
    const last = body.system.at(-1);
    if (last) last.text += `\n<env>\nWorking directory: ${folder}\nIs directory a git repo: Yes\n</env>`;
    return body;
  };
  const turn1 = inFolder("/home/dev/project", "a3f");
  const turn2 = inFolder("/home/dev/project", "b71");
  turn2.messages.push(
    {
      role: "assistant",
      content: [
        { type: "thinking", thinking: "Two files; read the first.", signature: "sig_02" },
        { type: "text", text: "Found two files." },
        { type: "tool_use", id: "toolu_01C", name: "Read", input: { file_path: "/repo/a.ts" } },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_01C", content: "export const a = 1;" },
        { type: "text", text: "Now explain it." },
      ],
    },
  );
  return { turn1, turn2, otherFolder: inFolder("/home/dev/other-project", "c09") };
}
