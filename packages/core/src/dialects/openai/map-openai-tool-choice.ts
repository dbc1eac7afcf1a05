import type { ToolChoice } from "../../canonical/chat-request.js";
import { CortexError } from "../../errors/cortex-error.js";
import type { OpenAIToolChoice } from "./openai-chat-request-schema.js";

export type OpenAIToolChoiceWire =
  "none" | "auto" | "required" | { type: "function"; function: { name: string } };

/** Client → canonical; forced tools must exist, as OpenAI checks too. */
export function mapOpenAIToolChoice(
  choice: OpenAIToolChoice | null | undefined,
  toolNames: ReadonlySet<string>,
): ToolChoice {
  if (choice === null || choice === undefined) return { type: "auto" };
  if (typeof choice === "string") {
    switch (choice) {
      case "none":
        return { type: "none" };
      case "auto":
        return { type: "auto" };
      case "required":
        requireTools(toolNames, `"required"`);
        return { type: "required" };
      default: {
        const unknown: never = choice;
        return unknown;
      }
    }
  }
  if (choice.type !== "function") {
    throw new CortexError(
      "invalid_request",
      `tool_choice.type: only "function" is supported, got ${JSON.stringify(choice.type)}`,
      { param: "tool_choice.type" },
    );
  }
  const name = choice.function?.name;
  if (name === undefined) {
    throw new CortexError("invalid_request", "tool_choice.function.name: Field required", {
      param: "tool_choice.function.name",
    });
  }
  requireTools(toolNames, `a function`);
  if (!toolNames.has(name)) {
    throw new CortexError(
      "invalid_request",
      `tool_choice.function.name: no tool named ${JSON.stringify(name)} in tools`,
      { param: "tool_choice.function.name" },
    );
  }
  return { type: "tool", name };
}

/** Canonical → wire. */
export function toOpenAIToolChoice(choice: ToolChoice): OpenAIToolChoiceWire {
  switch (choice.type) {
    case "auto":
    case "none":
    case "required":
      return choice.type;
    case "tool":
      return { type: "function", function: { name: choice.name } };
    default: {
      const unknown: never = choice;
      return unknown;
    }
  }
}

function requireTools(toolNames: ReadonlySet<string>, what: string): void {
  if (toolNames.size > 0) return;
  throw new CortexError("invalid_request", `tool_choice: ${what} requires tools to be specified`, {
    param: "tool_choice",
  });
}
