import type { CanonicalMessage, ContentPart } from "../../canonical/chat-request.js";
import { CortexError } from "../../errors/cortex-error.js";
import { isNeuronImageUrl } from "../shared/translation.js";
import type { ResponsesContentPart, ResponsesInputItem } from "./responses-request-schema.js";
import type { ResponsesToolNames } from "./responses-tool-names.js";

type Assistant = Extract<CanonicalMessage, { role: "assistant" }>;

/**
 * Input items → canonical messages, in order (the caller folds system messages and merges adjacent
 * turns):
 * - messages: `system`/`developer` → system; `user` parts → text and images; `assistant` → its
 *   `output_text`/`refusal` text. Files cannot be read by a llama.cpp model: placeholder text.
 * - `function_call` / `custom_tool_call` → an assistant tool call (a custom call's raw input as
 *   `{"input": …}`, the form the model was offered); their outputs → tool messages, images in an output
 *   moved to a following user message with a reference both ways.
 * - `reasoning` → the next assistant turn's reasoning: its `content` text, else its `summary` text;
 *   `encrypted_content` is another server's sealed state, ignored. Trailing reasoning is dropped.
 * - item types only OpenAI's hosted tools produce (web_search_call, compaction, …) are dropped with a
 *   warning; `item_reference` needs server-side item storage, which this server does not keep: 400.
 */
export function decodeResponsesInput(
  input: string | readonly ResponsesInputItem[] | null | undefined,
  names: ResponsesToolNames,
  warnings: string[],
): CanonicalMessage[] {
  if (input === null || input === undefined) return [];
  if (typeof input === "string") return [{ role: "user", content: [{ type: "text", text: input }] }];
  const messages: CanonicalMessage[] = [];
  let reasoning: string[] = [];
  /** The assistant turn being built (text, reasoning and calls arrive as separate items). */
  let turn: Assistant | undefined;
  const assistant = (): Assistant => {
    if (!turn) {
      turn = { role: "assistant", content: "", toolCalls: [] };
      messages.push(turn);
    }
    if (reasoning.length > 0) {
      turn.reasoning = [turn.reasoning, ...reasoning].filter(Boolean).join("\n\n");
      reasoning = [];
    }
    return turn;
  };
  const other = (message: CanonicalMessage): void => {
    // Reasoning with no text or call after it still belongs to the model's turn.
    if (reasoning.length > 0) assistant();
    turn = undefined;
    messages.push(message);
  };
  input.forEach((item, index) => {
    const path = `input[${index}]`;
    switch (item.type) {
      case undefined:
      case "message": {
        const { role } = item;
        if (role === "assistant") {
          const text = assistantText(item.content, path, warnings);
          const current = assistant();
          current.content = [current.content, text].filter((part) => part !== "").join("\n\n");
        } else if (role === "user") {
          const content = userParts(item.content, path, warnings);
          if (content.length > 0) other({ role: "user", content });
        } else {
          other({ role: "system", content: plainText(item.content, path, warnings) });
        }
        break;
      }
      case "function_call":
        assistant().toolCalls.push({
          id: item.call_id,
          name: names.flat({ kind: "function", name: item.name, ...namespaceOf(item.namespace) }),
          arguments: item.arguments,
        });
        break;
      case "custom_tool_call":
        assistant().toolCalls.push({
          id: item.call_id,
          name: names.flat({ kind: "custom", name: item.name, ...namespaceOf(item.namespace) }),
          arguments: JSON.stringify({ input: item.input }),
        });
        break;
      case "function_call_output":
      case "custom_tool_call_output": {
        const { text, images } = toolOutput(item.output, item.call_id, path, warnings);
        other({ role: "tool", toolCallId: item.call_id, content: text });
        if (images.length > 0) other({ role: "user", content: images });
        break;
      }
      case "reasoning": {
        const texts = (item.content?.length ? item.content : (item.summary ?? [])).map((part) => part.text);
        const text = texts.filter((part) => part.trim() !== "").join("\n\n");
        if (text !== "") reasoning.push(text);
        break;
      }
      case "item_reference":
        throw new CortexError(
          "invalid_request",
          `${path}: item_reference is not supported (this server keeps no items); send the item itself`,
          { param: path },
        );
      case "unknown":
        warnings.push(`${path}: ${item.unknownType} items come from tools that cannot run here; dropped`);
        break;
      default: {
        const unknown: never = item;
        return unknown;
      }
    }
  });
  // Reasoning the model never followed with an answer would make the prompt end on an assistant turn.
  if (reasoning.length > 0)
    warnings.push("input: reasoning at the end of the input answers nothing; dropped");
  return messages;
}

function namespaceOf(namespace: string | null | undefined): { namespace?: string } {
  return namespace ? { namespace } : {};
}

function userParts(
  content: string | readonly ResponsesContentPart[],
  path: string,
  warnings: string[],
): ContentPart[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  const parts: ContentPart[] = [];
  content.forEach((part, index) => {
    const partPath = `${path}.content[${index}]`;
    switch (part.type) {
      case "input_text":
      case "output_text":
        if (part.text.trim() !== "") parts.push({ type: "text", text: part.text });
        break;
      case "refusal":
        parts.push({ type: "text", text: part.refusal });
        break;
      case "input_image":
        parts.push(image(part, partPath, warnings));
        break;
      case "input_file":
        parts.push({ type: "text", text: file(part, partPath, warnings) });
        break;
      case "unknown":
        warnings.push(`${partPath}: ${part.unknownType} parts are not supported; dropped`);
        break;
      default: {
        const unknown: never = part;
        return unknown;
      }
    }
  });
  return parts;
}

/** The text of a system, developer or assistant message: its text parts joined. */
function plainText(
  content: string | readonly ResponsesContentPart[],
  path: string,
  warnings: string[],
): string {
  if (typeof content === "string") return content;
  const texts: string[] = [];
  content.forEach((part, index) => {
    if (part.type === "input_text" || part.type === "output_text") texts.push(part.text);
    else if (part.type === "refusal") texts.push(part.refusal);
    else {
      const type = part.type === "unknown" ? part.unknownType : part.type;
      warnings.push(`${path}.content[${index}]: ${type} parts are only supported in user messages; dropped`);
    }
  });
  return texts.join("\n\n");
}

function assistantText(
  content: string | readonly ResponsesContentPart[],
  path: string,
  warnings: string[],
): string {
  return plainText(content, path, warnings);
}

function toolOutput(
  output: string | readonly ResponsesContentPart[],
  callId: string,
  path: string,
  warnings: string[],
): { text: string; images: ContentPart[] } {
  if (typeof output === "string") return { text: output, images: [] };
  const texts: string[] = [];
  const images: ContentPart[] = [];
  for (const part of userParts(output, `${path}.output`, warnings)) {
    if (part.type === "text") texts.push(part.text);
    else images.push(part);
  }
  if (images.length > 0) {
    const count = images.length === 1 ? "1 image" : `${images.length} images`;
    texts.push(`[${count} from this tool output attached to the next user message]`);
    images.unshift({
      type: "text",
      text: `${images.length === 1 ? "Image" : "Images"} from tool call ${callId}:`,
    });
  }
  return { text: texts.join("\n"), images };
}

function image(
  part: Extract<ResponsesContentPart, { type: "input_image" }>,
  path: string,
  warnings: string[],
): ContentPart {
  const url = part.image_url ?? undefined;
  if (url && isNeuronImageUrl(url)) return { type: "image", url };
  if (url)
    throw new CortexError("invalid_request", `${path}.image_url: must be an http(s) or data:image/ URL`, {
      param: `${path}.image_url`,
    });
  warnings.push(
    `${path}: images by file_id need the Files API, which this server lacks; replaced with a placeholder text`,
  );
  return {
    type: "text",
    text: `[image file ${part.file_id ?? "?"} omitted: the Files API is not supported by this server]`,
  };
}

function file(
  part: Extract<ResponsesContentPart, { type: "input_file" }>,
  path: string,
  warnings: string[],
): string {
  warnings.push(`${path}: input_file cannot be read by this server; replaced with a placeholder text`);
  const name = part.filename ?? part.file_id ?? part.file_url ?? "file";
  return `[file ${JSON.stringify(name)} omitted: this server cannot read attached files]`;
}
