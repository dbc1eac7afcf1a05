import type { ToolDefinition } from "../../canonical/chat-request.js";
import { CortexError } from "../../errors/cortex-error.js";
import type { OpenAIChatRequest } from "./openai-chat-request-schema.js";

/**
 * What the neuron accepts, wider than OpenAI's `^[a-zA-Z0-9_-]{1,64}$`: Anthropic allows longer names
 * (MCP's `mcp__server__tool`), the Responses dialect flattens namespaces (`<namespace>__<name>`).
 */
export const NEURON_TOOL_NAME = /^[a-zA-Z0-9_.:-]{1,256}$/;

/** Function tools only; names checked and unique, so `tool_choice` and tool calls can refer to them. */
export function decodeOpenAITools(tools: OpenAIChatRequest["tools"]): ToolDefinition[] {
  const seen = new Set<string>();
  return (tools ?? []).map((tool, index) => {
    const path = `tools[${index}]`;
    if (tool.type !== "function") {
      throw invalid(`${path}.type`, `only "function" tools are supported, got ${JSON.stringify(tool.type)}`);
    }
    const fn = tool.function;
    if (!fn) throw invalid(`${path}.function`, "Field required");
    if (!NEURON_TOOL_NAME.test(fn.name)) {
      throw invalid(
        `${path}.function.name`,
        `must match ${NEURON_TOOL_NAME.source}, got ${JSON.stringify(fn.name)}`,
      );
    }
    if (seen.has(fn.name))
      throw invalid(`${path}.function.name`, `duplicate tool name ${JSON.stringify(fn.name)}`);
    seen.add(fn.name);
    return {
      name: fn.name,
      ...(fn.description ? { description: fn.description } : {}),
      // OpenAI's documented default for a function without parameters.
      parameters: fn.parameters ?? { type: "object", properties: {} },
      ...(typeof fn.strict === "boolean" ? { strict: fn.strict } : {}),
    };
  });
}

function invalid(param: string, message: string): CortexError {
  return new CortexError("invalid_request", `${param}: ${message}`, { param });
}
