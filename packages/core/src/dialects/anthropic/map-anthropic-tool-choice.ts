import type { ToolChoice } from "../../canonical/chat-request.js";
import { CortexError } from "../../errors/cortex-error.js";
import type { AnthropicToolChoice } from "./anthropic-request-schema.js";

/** `any` is OpenAI's `required`; `disable_parallel_tool_use` is the inverse of `parallel_tool_calls`. */
export function mapAnthropicToolChoice(
  choice: AnthropicToolChoice | null | undefined,
  toolNames: ReadonlySet<string>,
): { toolChoice: ToolChoice; parallelToolCalls: boolean } {
  const parallelToolCalls = choice?.disable_parallel_tool_use !== true;
  if (choice === null || choice === undefined) return { toolChoice: { type: "auto" }, parallelToolCalls };
  switch (choice.type) {
    case "auto":
      return { toolChoice: { type: "auto" }, parallelToolCalls };
    case "none":
      return { toolChoice: { type: "none" }, parallelToolCalls };
    case "any":
      requireTools(toolNames, "any");
      return { toolChoice: { type: "required" }, parallelToolCalls };
    case "tool": {
      if (!choice.name) throw invalid("tool_choice.name", "Field required");
      requireTools(toolNames, "tool");
      if (!toolNames.has(choice.name))
        throw invalid("tool_choice.name", `no tool named ${JSON.stringify(choice.name)} in tools`);
      return { toolChoice: { type: "tool", name: choice.name }, parallelToolCalls };
    }
    default: {
      const unknown: never = choice.type;
      throw invalid("tool_choice.type", `unsupported tool_choice type ${JSON.stringify(unknown)}`);
    }
  }
}

function requireTools(toolNames: ReadonlySet<string>, type: string): void {
  if (toolNames.size === 0) throw invalid("tool_choice", `type "${type}" requires tools to be specified`);
}

function invalid(param: string, message: string): CortexError {
  return new CortexError("invalid_request", `${param}: ${message}`, { param });
}
