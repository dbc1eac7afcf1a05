import type { ContentPart } from "../../canonical/chat-request.js";
import { CortexError } from "../../errors/cortex-error.js";
import { isHttpUrl, isNeuronImageUrl } from "../shared/translation.js";
import type { AnthropicImageBlock } from "./anthropic-content-block-schema.js";

/**
 * base64 → data URL, url → as is; anything the neuron must not be handed (another scheme, a data URL
 * that is not an image) is refused here, naming the client's field. Files API ids mean nothing here: a
 * placeholder says so.
 */
export function decodeAnthropicImage(
  block: AnthropicImageBlock,
  path: string,
  warnings: string[],
): ContentPart {
  const source = block.source;
  switch (source.type) {
    case "base64": {
      const url = `data:${source.media_type};base64,${source.data}`;
      if (!isNeuronImageUrl(url))
        throw invalid(
          `${path}.source.media_type`,
          `must be an image type (image/…), got ${JSON.stringify(source.media_type)}`,
        );
      return { type: "image", url };
    }
    case "url":
      if (!isHttpUrl(source.url))
        throw invalid(`${path}.source.url`, `must be an http(s) URL, got ${JSON.stringify(source.url)}`);
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

function invalid(param: string, problem: string): CortexError {
  return new CortexError("invalid_request", `${param}: ${problem}`, { param });
}
