import { z } from "zod";

/** `/v1/completions` (legacy), every field of openai 6.x `CompletionCreateParams` plus `top_k`. */
export const OpenAICompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  prompt: z.union([
    z.string(),
    z.array(z.string()),
    z.array(z.number().int()),
    z.array(z.array(z.number().int())),
  ]),
  best_of: z.number().int().nullish(),
  echo: z.boolean().nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  logit_bias: z.record(z.string(), z.number()).nullish(),
  logprobs: z.number().int().min(0).max(5).nullish(),
  /** At least 1: node-llama-cpp reads 0 as "no limit", the opposite of what a client asking for 0 means. */
  max_tokens: z.number().int().min(1).nullish(),
  n: z.number().int().nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  suffix: z.string().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().nullish(),
  user: z.string().nullish(),
});
export type OpenAICompletionRequest = z.infer<typeof OpenAICompletionRequestSchema>;
