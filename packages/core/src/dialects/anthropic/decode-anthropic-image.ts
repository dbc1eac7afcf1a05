import type { ContentPart } from "../../canonical/chat-request.js";
import type { AnthropicImageBlock } from "./anthropic-content-block-schema.js";

/** base64 → data URL, url → as is. Files API ids mean nothing here: a placeholder says so. */
export function decodeAnthropicImage(
  block: AnthropicImageBlock,
  path: string,
  warnings: string[],
): ContentPart {
  const source = block.source;
  switch (source.type) {
    case "base64":
      return { type: "image", url: `data:${source.media_type};base64,${source.data}` };
    case "url":
      return { type: "image", url: source.url };
    case "file":
      warnings.push(`${path}: images from the Files API are not supported; replaced with a placeholder text`);
      return {
        type: "text",
        text: `[image file ${source.file_id} omitted: the Files API is not supported by this server]`,
      };
    default: {
      const unknown: never = source;
      return unknown;
    }
  }
}
