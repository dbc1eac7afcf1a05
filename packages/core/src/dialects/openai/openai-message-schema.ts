import { z } from "zod";

/**
 * Lenient schemas for the messages OpenAI clients send (openai 6.x `ChatCompletionMessageParam`, plus
 * the `reasoning_content`/`reasoning` fields DeepSeek, vLLM and Zed use). Unknown fields are kept:
 * clients add new ones every release.
 */

export const OpenAITextPartSchema = z.looseObject({ type: z.literal("text"), text: z.string() });

export const OpenAIImagePartSchema = z.looseObject({
  type: z.literal("image_url"),
  image_url: z.union([z.looseObject({ url: z.string(), detail: z.string().nullish() }), z.string()]),
});

export const OpenAIUserPartSchema = z.discriminatedUnion("type", [
  OpenAITextPartSchema,
  OpenAIImagePartSchema,
  z.looseObject({ type: z.literal("input_audio"), input_audio: z.unknown() }),
  z.looseObject({
    type: z.literal("file"),
    file: z.looseObject({
      file_data: z.string().nullish(),
      file_id: z.string().nullish(),
      filename: z.string().nullish(),
    }),
  }),
]);
export type OpenAIUserPart = z.infer<typeof OpenAIUserPartSchema>;

const AssistantPartSchema = z.discriminatedUnion("type", [
  OpenAITextPartSchema,
  z.looseObject({ type: z.literal("refusal"), refusal: z.string() }),
]);

const TextContentSchema = z.union([z.string(), z.array(OpenAITextPartSchema)]);

export const OpenAIToolCallSchema = z.looseObject({
  id: z.string(),
  type: z.literal("function").nullish(),
  function: z.looseObject({
    name: z.string(),
    /** A JSON string per the spec; some clients send the object itself. */
    arguments: z.union([z.string(), z.record(z.string(), z.unknown())]),
  }),
});

export const OpenAIMessageSchema = z.discriminatedUnion("role", [
  z.looseObject({ role: z.literal("system"), content: TextContentSchema, name: z.string().nullish() }),
  z.looseObject({ role: z.literal("developer"), content: TextContentSchema, name: z.string().nullish() }),
  z.looseObject({
    role: z.literal("user"),
    content: z.union([z.string(), z.array(OpenAIUserPartSchema)]),
    name: z.string().nullish(),
  }),
  z.looseObject({
    role: z.literal("assistant"),
    content: z.union([z.string(), z.array(AssistantPartSchema)]).nullish(),
    tool_calls: z.array(OpenAIToolCallSchema).nullish(),
    reasoning_content: z.string().nullish(),
    reasoning: z.string().nullish(),
    refusal: z.string().nullish(),
    name: z.string().nullish(),
  }),
  z.looseObject({ role: z.literal("tool"), tool_call_id: z.string(), content: TextContentSchema }),
  /** Legacy; parsed only so the decoder can reject it with a useful message. */
  z.looseObject({ role: z.literal("function"), name: z.string().nullish(), content: z.unknown() }),
]);
export type OpenAIMessage = z.infer<typeof OpenAIMessageSchema>;
export type OpenAIRole = OpenAIMessage["role"];
