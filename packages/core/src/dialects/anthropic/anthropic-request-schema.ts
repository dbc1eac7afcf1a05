import { z } from "zod";
import { AnthropicContentBlockSchema, AnthropicTextBlockSchema } from "./anthropic-content-block-schema.js";

/** Every field of `POST /v1/messages` (docs/api-spec.md §1.3); unknown ones are accepted and ignored. */

export const AnthropicMessageSchema = z.looseObject({
  /** `system` mid-conversation: Claude Code ≥ 2.1 (beta mid-conversation-system-2026-04-07). */
  role: z.enum(["user", "assistant", "system"]),
  content: z.union([z.string(), z.array(AnthropicContentBlockSchema)]),
});
export type AnthropicMessage = z.infer<typeof AnthropicMessageSchema>;

export const AnthropicToolSchema = z.looseObject({
  name: z.string().min(1),
  /** Absent or "custom" for client tools; server tools carry a versioned type (`web_search_20250305`). */
  type: z.string().nullish(),
  description: z.string().nullish(),
  input_schema: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
export type AnthropicTool = z.infer<typeof AnthropicToolSchema>;

export const AnthropicToolChoiceSchema = z.looseObject({
  type: z.enum(["auto", "any", "tool", "none"]),
  name: z.string().nullish(),
  disable_parallel_tool_use: z.boolean().nullish(),
});
export type AnthropicToolChoice = z.infer<typeof AnthropicToolChoiceSchema>;

export const AnthropicThinkingSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("enabled"), budget_tokens: z.number().int().min(0) }),
  z.looseObject({ type: z.literal("disabled") }),
  z.looseObject({ type: z.literal("adaptive") }),
]);
export type AnthropicThinking = z.infer<typeof AnthropicThinkingSchema>;

const OutputFormatSchema = z.looseObject({
  type: z.literal("json_schema"),
  schema: z.record(z.string(), z.unknown()),
});

export const AnthropicCountTokensRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(AnthropicMessageSchema).min(1, "at least one message is required"),
  system: z.union([z.string(), z.array(AnthropicTextBlockSchema)]).nullish(),
  stop_sequences: z.array(z.string()).nullish(),
  /** Removed from SDK 1.14's types, still sent by Claude Code subagents. */
  temperature: z.number().min(0).max(1).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  tools: z.array(AnthropicToolSchema).nullish(),
  tool_choice: AnthropicToolChoiceSchema.nullish(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).nullish(),
  stream: z.boolean().nullish(),
  thinking: AnthropicThinkingSchema.nullish(),
  /** `effort` is a string, not an enum: new levels appear with new models. */
  output_config: z
    .looseObject({ effort: z.string().nullish(), format: OutputFormatSchema.nullish() })
    .nullish(),
  /** The structured-outputs beta's older top-level spelling of `output_config.format`. */
  output_format: OutputFormatSchema.nullish(),
  context_management: z.unknown().optional(),
  cache_control: z.unknown().optional(),
  container: z.unknown().optional(),
  service_tier: z.unknown().optional(),
  speed: z.unknown().optional(),
  inference_geo: z.unknown().optional(),
  diagnostics: z.unknown().optional(),
  mcp_servers: z.unknown().optional(),
});
export type AnthropicCountTokensRequest = z.infer<typeof AnthropicCountTokensRequestSchema>;

export const AnthropicRequestSchema = AnthropicCountTokensRequestSchema.extend({
  /**
   * The API takes 0 ("only populate the cache"); node-llama-cpp reads 0 as "no limit", and a neuron has
   * no cache to populate ahead of a request, so 0 is refused here rather than by the neuron.
   */
  max_tokens: z.number().int().min(1),
});
export type AnthropicRequest = z.infer<typeof AnthropicRequestSchema>;
