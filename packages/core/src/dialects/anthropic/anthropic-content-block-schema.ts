import { z } from "zod";

/**
 * Lenient schemas for Anthropic content blocks (docs/api-spec.md §1.4). `cache_control`, `citations` and fields
 * added later pass through untouched. Block types we do not know (server-tool artefacts, new betas)
 * parse as `{type:"unknown"}` so the decoder can drop them with a warning instead of failing the request.
 */

export const AnthropicTextBlockSchema = z.looseObject({ type: z.literal("text"), text: z.string() });

const ImageSourceSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
  z.looseObject({ type: z.literal("url"), url: z.string() }),
  z.looseObject({ type: z.literal("file"), file_id: z.string() }),
]);

export const AnthropicImageBlockSchema = z.looseObject({
  type: z.literal("image"),
  source: ImageSourceSchema,
});

export const AnthropicDocumentBlockSchema = z.looseObject({
  type: z.literal("document"),
  source: z.looseObject({
    type: z.string(),
    media_type: z.string().nullish(),
    data: z.string().nullish(),
    url: z.string().nullish(),
    content: z
      .union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().nullish() }))])
      .nullish(),
  }),
  title: z.string().nullish(),
  context: z.string().nullish(),
});

const KNOWN_BLOCK_TYPES = new Set([
  "text",
  "image",
  "document",
  "tool_use",
  "tool_result",
  "thinking",
  "redacted_thinking",
]);

/** Matches only block types outside the known set; reduced to its type name. */
const UnknownBlockSchema = z
  .looseObject({ type: z.string().refine((type) => !KNOWN_BLOCK_TYPES.has(type), "unexpected block type") })
  .transform((block) => ({ type: "unknown" as const, blockType: block.type }));

const ToolResultContentSchema = z.union([
  z.string(),
  z.array(
    z.union([
      z.discriminatedUnion("type", [
        AnthropicTextBlockSchema,
        AnthropicImageBlockSchema,
        AnthropicDocumentBlockSchema,
      ]),
      UnknownBlockSchema,
    ]),
  ),
]);

export const AnthropicContentBlockSchema = z.union([
  z.discriminatedUnion("type", [
    AnthropicTextBlockSchema,
    AnthropicImageBlockSchema,
    AnthropicDocumentBlockSchema,
    z.looseObject({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: z.unknown() }),
    z.looseObject({
      type: z.literal("tool_result"),
      tool_use_id: z.string(),
      content: ToolResultContentSchema.nullish(),
      is_error: z.boolean().nullish(),
    }),
    z.looseObject({ type: z.literal("thinking"), thinking: z.string(), signature: z.string().nullish() }),
    z.looseObject({ type: z.literal("redacted_thinking"), data: z.string().nullish() }),
  ]),
  UnknownBlockSchema,
]);

export type AnthropicContentBlock = z.infer<typeof AnthropicContentBlockSchema>;
export type AnthropicImageBlock = z.infer<typeof AnthropicImageBlockSchema>;
export type AnthropicDocumentBlock = z.infer<typeof AnthropicDocumentBlockSchema>;
export type AnthropicToolResultBlock = Extract<AnthropicContentBlock, { type: "tool_result" }>;
