import { z } from "zod";
import { OpenAIMessageSchema } from "./openai-message-schema.js";

/** Every field of openai 6.x `ChatCompletionCreateParams` (docs/api-spec.md §2.2), plus the `top_k` extension. */

export const OPENAI_REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh", "max"] as const;

export const OpenAIToolSchema = z.looseObject({
  type: z.string(),
  function: z
    .looseObject({
      name: z.string(),
      description: z.string().nullish(),
      parameters: z.record(z.string(), z.unknown()).nullish(),
      strict: z.boolean().nullish(),
    })
    .nullish(),
});

export const OpenAIToolChoiceSchema = z.union([
  z.enum(["none", "auto", "required"]),
  z.looseObject({ type: z.string(), function: z.looseObject({ name: z.string() }).nullish() }),
]);
export type OpenAIToolChoice = z.infer<typeof OpenAIToolChoiceSchema>;

export const OpenAIResponseFormatSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({
      name: z.string().nullish(),
      description: z.string().nullish(),
      schema: z.record(z.string(), z.unknown()).nullish(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

const positiveInt = z.number().int().min(1);

export const OpenAIChatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(OpenAIMessageSchema).min(1),
  audio: z.unknown().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  function_call: z.unknown().optional(),
  functions: z.unknown().optional(),
  logit_bias: z.record(z.string(), z.number()).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  max_tokens: positiveInt.nullish(),
  max_completion_tokens: positiveInt.nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  modalities: z.array(z.string()).nullish(),
  moderation: z.unknown().optional(),
  n: z.number().int().nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  prediction: z.unknown().optional(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  prompt_cache_key: z.string().nullish(),
  prompt_cache_options: z.unknown().optional(),
  prompt_cache_retention: z.unknown().optional(),
  reasoning_effort: z.enum(OPENAI_REASONING_EFFORTS).nullish(),
  response_format: OpenAIResponseFormatSchema.nullish(),
  safety_identifier: z.string().nullish(),
  seed: z.number().int().nullish(),
  service_tier: z.string().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  store: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z
    .looseObject({ include_usage: z.boolean().nullish(), include_prompt_usage: z.boolean().nullish() })
    .nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  tool_choice: OpenAIToolChoiceSchema.nullish(),
  tools: z.array(OpenAIToolSchema).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  /** Extension understood by llama.cpp and vLLM; ≤ 0 means "disabled" there. */
  top_k: z.number().int().nullish(),
  user: z.string().nullish(),
  verbosity: z.string().nullish(),
  web_search_options: z.unknown().optional(),
});
export type OpenAIChatRequest = z.infer<typeof OpenAIChatRequestSchema>;
