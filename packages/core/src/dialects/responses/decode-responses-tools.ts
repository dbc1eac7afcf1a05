import type { JsonSchema, ToolChoice, ToolDefinition } from "../../canonical/chat-request.js";
import { CortexError } from "../../errors/cortex-error.js";
import { NEURON_TOOL_NAME } from "../openai/decode-openai-tools.js";
import type {
  ResponsesCustomTool,
  ResponsesFunctionTool,
  ResponsesRequest,
  ResponsesToolChoice,
} from "./responses-request-schema.js";
import { ResponsesToolNames, type ToolOrigin } from "./responses-tool-names.js";

export interface DecodedResponsesTools {
  tools: ToolDefinition[];
  names: ResponsesToolNames;
  toolChoice: ToolChoice;
}

/** An empty object schema: what a function without `parameters` takes. */
const NO_PARAMETERS: JsonSchema = { type: "object", properties: {} };

/**
 * Client tools → canonical functions:
 * - `function`: name, description, parameters (verbatim) and `strict`; `defer_loading` is ignored (the
 *   tool is simply offered, as tool_search cannot run here).
 * - `namespace`: each member becomes a function `<namespace>__<name>` (see `ResponsesToolNames`).
 * - `custom`: a function taking one string `input`; a grammar it declares cannot be enforced on a
 *   function argument by the engine, so it is appended to the description for the model to follow.
 * - hosted tools (`web_search`, `file_search`, `tool_search`, `computer_use_preview`, `mcp`, …) run on
 *   OpenAI's side: dropped with a warning, never a 400 that would break the client.
 */
export function decodeResponsesTools(
  request: Pick<ResponsesRequest, "tools" | "tool_choice">,
  warnings: string[],
): DecodedResponsesTools {
  const names = new ResponsesToolNames();
  const tools: ToolDefinition[] = [];
  const add = (tool: ResponsesFunctionTool | ResponsesCustomTool, path: string, namespace?: string) => {
    const origin: ToolOrigin = {
      kind: tool.type,
      name: tool.name,
      ...(namespace === undefined ? {} : { namespace }),
    };
    if (names.has(origin)) {
      throw new CortexError(
        "invalid_request",
        `${path}.name: duplicate tool name ${JSON.stringify(tool.name)}`,
        {
          param: `${path}.name`,
        },
      );
    }
    const name = names.add(origin);
    if (!NEURON_TOOL_NAME.test(name)) {
      throw new CortexError(
        "invalid_request",
        `${path}.name: the tool's name for the model (${JSON.stringify(name)}) must match ${NEURON_TOOL_NAME.source}`,
        { param: `${path}.name` },
      );
    }
    tools.push(tool.type === "function" ? functionTool(name, tool) : customTool(name, tool));
  };
  (request.tools ?? []).forEach((tool, index) => {
    const path = `tools[${index}]`;
    switch (tool.type) {
      case "function":
      case "custom":
        add(tool, path);
        break;
      case "namespace":
        tool.tools.forEach((member, memberIndex) => add(member, `${path}.tools[${memberIndex}]`, tool.name));
        break;
      case "unknown":
        warnings.push(`${path}: hosted tool ${JSON.stringify(tool.unknownType)} cannot run here; dropped`);
        break;
      default: {
        const unknown: never = tool;
        return unknown;
      }
    }
  });
  const choice = decodeToolChoice(request.tool_choice, names, tools, warnings);
  return { tools: choice.tools, names, toolChoice: choice.toolChoice };
}

function functionTool(name: string, tool: ResponsesFunctionTool): ToolDefinition {
  return {
    name,
    ...(tool.description ? { description: tool.description } : {}),
    parameters: tool.parameters ?? NO_PARAMETERS,
    ...(typeof tool.strict === "boolean" ? { strict: tool.strict } : {}),
  };
}

function customTool(name: string, tool: ResponsesCustomTool): ToolDefinition {
  const format = tool.format;
  const grammar =
    format?.type === "grammar" && format.definition
      ? `\n\nThe input must follow this ${format.syntax ?? ""} grammar:\n${format.definition}`
      : "";
  const description = `${tool.description ?? ""}${grammar}`.trim();
  return {
    name,
    ...(description === "" ? {} : { description }),
    parameters: {
      type: "object",
      properties: { input: { type: "string", description: "The raw input, as plain text." } },
      required: ["input"],
      additionalProperties: false,
    },
  };
}

/**
 * `tool_choice`: the strings map one to one; `{type:"function"|"custom", name}` forces that tool;
 * `allowed_tools` narrows the tools offered and keeps its mode; choices of hosted tools (dropped above)
 * fall back to `auto` with a warning.
 */
function decodeToolChoice(
  choice: ResponsesToolChoice | null | undefined,
  names: ResponsesToolNames,
  tools: ToolDefinition[],
  warnings: string[],
): { tools: ToolDefinition[]; toolChoice: ToolChoice } {
  if (choice === null || choice === undefined || choice === "auto")
    return { tools, toolChoice: { type: "auto" } };
  if (choice === "none") return { tools, toolChoice: { type: "none" } };
  if (choice === "required") {
    requireTools(tools, "required");
    return { tools, toolChoice: { type: "required" } };
  }
  switch (choice.type) {
    case "function":
    case "custom": {
      if (!choice.name) throw invalid("tool_choice.name", "Field required");
      const origin: ToolOrigin = { kind: choice.type, name: choice.name };
      if (!names.has(origin))
        throw invalid(
          "tool_choice.name",
          `no ${choice.type} tool named ${JSON.stringify(choice.name)} in tools`,
        );
      return { tools, toolChoice: { type: "tool", name: names.flat(origin) } };
    }
    case "allowed_tools": {
      const allowed = new Set(
        (choice.tools ?? []).flatMap((tool) =>
          tool.name && (tool.type === "function" || tool.type === "custom")
            ? [names.flat({ kind: tool.type, name: tool.name })]
            : [],
        ),
      );
      const narrowed = tools.filter((tool) => allowed.has(tool.name));
      const mode = choice.mode ?? "auto";
      if (mode === "required") requireTools(narrowed, "allowed_tools");
      return { tools: narrowed, toolChoice: { type: mode } };
    }
    default:
      warnings.push(
        `tool_choice: ${JSON.stringify(choice.type)} names a hosted tool that cannot run here; auto used`,
      );
      return { tools, toolChoice: { type: "auto" } };
  }
}

function requireTools(tools: readonly ToolDefinition[], what: string): void {
  if (tools.length === 0)
    throw invalid("tool_choice", `${JSON.stringify(what)} requires tools to be specified`);
}

function invalid(param: string, message: string): CortexError {
  return new CortexError("invalid_request", `${param}: ${message}`, { param });
}
