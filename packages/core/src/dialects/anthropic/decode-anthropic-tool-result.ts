import type { CanonicalMessage, ContentPart } from "../../canonical/chat-request.js";
import type { AnthropicToolResultBlock } from "./anthropic-content-block-schema.js";
import { decodeAnthropicDocument } from "./decode-anthropic-document.js";
import { decodeAnthropicImage } from "./decode-anthropic-image.js";

export interface DecodedToolResult {
  message: Extract<CanonicalMessage, { role: "tool" }>;
  /** Images cannot ride in a tool message: they go in the user message that follows, after this text. */
  images: ContentPart[];
}

/**
 * `tool_result` → a tool message. Text blocks are joined (never JSON-stringified); images move to the next
 * user message with a reference both ways; `is_error` keeps the flag and prefixes the content with
 * "Error: " so templates without an error slot still tell the model.
 */
export function decodeAnthropicToolResult(
  block: AnthropicToolResultBlock,
  path: string,
  warnings: string[],
): DecodedToolResult {
  const texts: string[] = [];
  const images: ContentPart[] = [];
  const content = block.content ?? "";
  if (typeof content === "string") {
    texts.push(content);
  } else {
    content.forEach((part, index) => {
      const partPath = `${path}.content[${index}]`;
      switch (part.type) {
        case "text":
          if (part.text.trim() !== "") texts.push(part.text);
          break;
        case "image":
          images.push(decodeAnthropicImage(part, partPath, warnings));
          break;
        case "document":
          texts.push(decodeAnthropicDocument(part, partPath, warnings));
          break;
        case "unknown":
          warnings.push(`${partPath}: ${part.blockType} blocks are not supported in tool results; dropped`);
          break;
        default: {
          const unknown: never = part;
          return unknown;
        }
      }
    });
  }
  if (images.length > 0) {
    const count = images.length === 1 ? "1 image" : `${images.length} images`;
    texts.push(`[${count} from this tool result attached to the next user message]`);
    const label = images.length === 1 ? "Image" : "Images";
    images.unshift({ type: "text", text: `${label} from tool result ${block.tool_use_id}:` });
  }
  const text = texts.join("\n");
  const isError = block.is_error === true;
  return {
    message: {
      role: "tool",
      toolCallId: block.tool_use_id,
      content: isError ? `Error: ${text}` : text,
      ...(isError ? { isError: true } : {}),
    },
    images,
  };
}
