import type { ToolDefinition } from "../../canonical/chat-request.js";
import { CortexError } from "../../errors/cortex-error.js";
import type { AnthropicRequest } from "./anthropic-request-schema.js";

/** Anthropic's rule for client tool names; the neuron accepts a superset (decode-openai-tools.ts). */
const ANTHROPIC_TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

/**
 * Client tools → canonical tools. Only name, description, schema and `strict` survive; `cache_control`,
 * `defer_loading`, `eager_input_streaming`, `input_examples` and `allowed_callers` mean nothing to a
 * local model. The schema is kept verbatim (`$schema`, `exclusiveMinimum` …): the neuron's grammar
 * builder decides what it can enforce. Server tools (web search, code execution …) run on Anthropic's
 * side and cannot run here, so they are dropped with a warning.
 */
export function decodeAnthropicTools(tools: AnthropicRequest["tools"], warnings: string[]): ToolDefinition[] {
  const decoded: ToolDefinition[] = [];
  (tools ?? []).forEach((tool, index) => {
    const path = `tools[${index}]`;
    if (tool.type && tool.type !== "custom") {
      warnings.push(
        `${path}: server tool ${JSON.stringify(tool.type)} (${tool.name}) is not supported; dropped`,
      );
      return;
    }
    if (!ANTHROPIC_TOOL_NAME.test(tool.name)) {
      throw new CortexError(
        "invalid_request",
        `${path}.name: must match ${ANTHROPIC_TOOL_NAME.source}, got ${JSON.stringify(tool.name)}`,
        { param: `${path}.name` },
      );
    }
    if (!tool.input_schema) {
      throw new CortexError("invalid_request", `${path}.input_schema: Field required`, {
        param: `${path}.input_schema`,
      });
    }
    if (decoded.some((other) => other.name === tool.name)) {
      throw new CortexError(
        "invalid_request",
        `${path}.name: duplicate tool name ${JSON.stringify(tool.name)}`,
        {
          param: `${path}.name`,
        },
      );
    }
    decoded.push({
      name: tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      parameters: tool.input_schema,
      ...(typeof tool.strict === "boolean" ? { strict: tool.strict } : {}),
    });
  });
  return decoded;
}
