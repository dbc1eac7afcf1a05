import type { CanonicalMessage, ContentPart, ToolCall } from "../../canonical/chat-request.js";
import { CortexError } from "../../errors/cortex-error.js";
import { foldSystemMessages } from "../shared/fold-system-messages.js";
import { mergeAdjacentMessages } from "../shared/merge-adjacent-messages.js";
import type { AnthropicContentBlock } from "./anthropic-content-block-schema.js";
import type { AnthropicMessage } from "./anthropic-request-schema.js";
import { decodeAnthropicDocument } from "./decode-anthropic-document.js";
import { decodeAnthropicImage } from "./decode-anthropic-image.js";
import { decodeAnthropicToolResult } from "./decode-anthropic-tool-result.js";

/**
 * Anthropic turns → canonical messages, the way the Messages API itself reads them: consecutive
 * same-role turns merge, empty text blocks are ignored, and a user turn's `tool_result`s become tool
 * messages placed before the rest of that turn. Mid-conversation `role:"system"` turns are folded (see
 * `foldSystemMessages`), after `system`, which the caller puts first.
 */
export function decodeAnthropicMessages(
  system: string,
  messages: readonly AnthropicMessage[],
  warnings: string[],
): CanonicalMessage[] {
  const decoded: CanonicalMessage[] = system === "" ? [] : [{ role: "system", content: system }];
  let seenConversation = false;
  messages.forEach((message, index) => {
    const path = `messages[${index}]`;
    switch (message.role) {
      case "system":
        if (seenConversation) {
          warnings.push(`${path}: mid-conversation system message sent as a <system-reminder> user text`);
        }
        decoded.push({ role: "system", content: plainText(message.content, path, warnings) });
        break;
      case "user":
        seenConversation = true;
        decoded.push(...decodeUserTurn(message.content, path, warnings));
        break;
      case "assistant": {
        seenConversation = true;
        const assistant = decodeAssistantTurn(message.content, path, warnings);
        if (assistant) decoded.push(assistant);
        else warnings.push(`${path}: assistant turn with no content left; dropped`);
        break;
      }
      default: {
        const unknown: never = message.role;
        return unknown;
      }
    }
  });
  const merged = mergeAdjacentMessages(foldSystemMessages(decoded));
  // Every turn was empty (or whitespace): there is nothing to generate from.
  if (merged.length === 0)
    throw new CortexError("invalid_request", "messages: no message has any content", { param: "messages" });
  return merged;
}

function decodeUserTurn(
  content: AnthropicMessage["content"],
  path: string,
  warnings: string[],
): CanonicalMessage[] {
  if (typeof content === "string") return [{ role: "user", content: [{ type: "text", text: content }] }];
  const tools: CanonicalMessage[] = [];
  const moved: ContentPart[] = [];
  const parts: ContentPart[] = [];
  content.forEach((block, index) => {
    const blockPath = `${path}.content[${index}]`;
    switch (block.type) {
      case "text":
        if (block.text.trim() !== "") parts.push({ type: "text", text: block.text });
        break;
      case "image":
        parts.push(decodeAnthropicImage(block, blockPath, warnings));
        break;
      case "document":
        parts.push({ type: "text", text: decodeAnthropicDocument(block, blockPath, warnings) });
        break;
      case "tool_result": {
        const result = decodeAnthropicToolResult(block, blockPath, warnings);
        tools.push(result.message);
        moved.push(...result.images);
        break;
      }
      case "tool_use":
      case "thinking":
      case "redacted_thinking":
      case "unknown":
        warnings.push(`${blockPath}: ${blockName(block)} blocks are not supported in user turns; dropped`);
        break;
      default: {
        const unknown: never = block;
        return unknown;
      }
    }
  });
  const rest = [...moved, ...parts];
  return rest.length === 0 ? tools : [...tools, { role: "user", content: rest }];
}

function decodeAssistantTurn(
  content: AnthropicMessage["content"],
  path: string,
  warnings: string[],
): Extract<CanonicalMessage, { role: "assistant" }> | undefined {
  if (typeof content === "string") {
    return content.trim() === "" ? undefined : { role: "assistant", content, toolCalls: [] };
  }
  const texts: string[] = [];
  const reasoning: string[] = [];
  const toolCalls: ToolCall[] = [];
  content.forEach((block, index) => {
    const blockPath = `${path}.content[${index}]`;
    switch (block.type) {
      case "text":
        if (block.text.trim() !== "") texts.push(block.text);
        break;
      case "thinking":
        // The signature is ours or Anthropic's; either way it means nothing to a llama.cpp model.
        if (block.thinking.trim() !== "") reasoning.push(block.thinking);
        break;
      case "tool_use":
        toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
        break;
      case "redacted_thinking":
      case "image":
      case "document":
      case "tool_result":
      case "unknown":
        warnings.push(
          `${blockPath}: ${blockName(block)} blocks are not supported in assistant turns; dropped`,
        );
        break;
      default: {
        const unknown: never = block;
        return unknown;
      }
    }
  });
  if (texts.length === 0 && reasoning.length === 0 && toolCalls.length === 0) return undefined;
  return {
    role: "assistant",
    content: texts.join("\n\n"),
    ...(reasoning.length > 0 ? { reasoning: reasoning.join("\n\n") } : {}),
    toolCalls,
  };
}

/** Content of a `role:"system"` turn: a string or text blocks. */
function plainText(content: AnthropicMessage["content"], path: string, warnings: string[]): string {
  if (typeof content === "string") return content;
  const texts: string[] = [];
  content.forEach((block, index) => {
    if (block.type === "text") {
      if (block.text.trim() !== "") texts.push(block.text);
    } else {
      warnings.push(
        `${path}.content[${index}]: ${blockName(block)} blocks are not supported in system turns; dropped`,
      );
    }
  });
  return texts.join("\n\n");
}

function blockName(block: AnthropicContentBlock): string {
  return block.type === "unknown" ? block.blockType : block.type;
}
