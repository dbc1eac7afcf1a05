import type { CanonicalMessage, ContentPart, ToolCall } from "../../canonical/chat-request.js";
import { CortexError } from "../../errors/cortex-error.js";
import { isNeuronImageUrl } from "../shared/translation.js";
import type { OpenAIMessage, OpenAIUserPart } from "./openai-message-schema.js";

/**
 * One client message → one canonical message. This switch is the role mapping: `developer` is OpenAI's
 * newer name for `system`, and the legacy `function` role has no canonical form.
 */
export function decodeOpenAIMessage(
  message: OpenAIMessage,
  path: string,
  warnings: string[],
): CanonicalMessage {
  switch (message.role) {
    case "system":
    case "developer":
      return { role: "system", content: joinText(message.content) };
    case "user":
      return {
        role: "user",
        content:
          typeof message.content === "string"
            ? [{ type: "text", text: message.content }]
            : message.content.map((part, index) =>
                decodeUserPart(part, `${path}.content[${index}]`, warnings),
              ),
      };
    case "assistant": {
      const reasoning = message.reasoning_content || message.reasoning || "";
      return {
        role: "assistant",
        content: assistantText(message.content),
        ...(reasoning === "" ? {} : { reasoning }),
        toolCalls: (message.tool_calls ?? []).map((call, index) =>
          decodeToolCall(call, `${path}.tool_calls[${index}]`, warnings),
        ),
      };
    }
    case "tool":
      return { role: "tool", toolCallId: message.tool_call_id, content: joinText(message.content) };
    case "function":
      throw new CortexError(
        "invalid_request",
        `${path}.role: the legacy "function" role is not supported; send tool results as {role:"tool", tool_call_id, content}`,
        { param: `${path}.role` },
      );
    default: {
      const unknown: never = message;
      throw new CortexError("invalid_request", `${path}.role: unsupported role`, {
        param: `${path}.role`,
        cause: unknown,
      });
    }
  }
}

function decodeUserPart(part: OpenAIUserPart, path: string, warnings: string[]): ContentPart {
  switch (part.type) {
    case "text":
      return { type: "text", text: part.text };
    case "image_url": {
      const url = typeof part.image_url === "string" ? part.image_url : part.image_url.url;
      if (!isNeuronImageUrl(url)) {
        const param = `${path}.image_url.url`;
        throw new CortexError("invalid_request", `${param}: must be an http(s) URL or a data:image/… URL`, {
          param,
        });
      }
      return { type: "image", url };
    }
    case "input_audio":
      throw new CortexError("invalid_request", `${path}.type: audio input is not supported`, {
        param: `${path}.type`,
      });
    case "file": {
      const name = part.file.filename ?? part.file.file_id ?? "file";
      warnings.push(`${path}: file input is not supported; replaced with a placeholder text`);
      return {
        type: "text",
        text: `[file ${JSON.stringify(name)} omitted: files are not supported by this server]`,
      };
    }
    default: {
      const unknown: never = part;
      throw new CortexError("invalid_request", `${path}.type: unsupported content part`, { cause: unknown });
    }
  }
}

type AssistantMessage = Extract<OpenAIMessage, { role: "assistant" }>;

function assistantText(content: AssistantMessage["content"]): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  return content.map((part) => (part.type === "text" ? part.text : part.refusal)).join("\n");
}

function decodeToolCall(
  call: NonNullable<AssistantMessage["tool_calls"]>[number],
  path: string,
  warnings: string[],
): ToolCall {
  const args = call.function.arguments;
  if (typeof args !== "string")
    warnings.push(`${path}.function.arguments: object converted to a JSON string`);
  return {
    id: call.id,
    name: call.function.name,
    arguments: typeof args === "string" ? args : JSON.stringify(args),
  };
}

function joinText(content: string | { text: string }[]): string {
  return typeof content === "string" ? content : content.map((part) => part.text).join("\n");
}
