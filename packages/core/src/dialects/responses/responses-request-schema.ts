import { z } from "zod";

/**
 * Lenient schemas for `POST /v1/responses` (openai-node 6.30's `ResponseCreateParams`, and what Codex CLI
 * 0.169 sends). Fields added later pass through untouched; item, part and tool types we do not know parse
 * as `{type:"unknown"}` so the decoder can drop them with a warning instead of failing the request.
 */

const TextSchema = z.string();

function unknownOf(known: readonly string[]) {
  const set = new Set(known);
  return z
    .looseObject({ type: z.string().refine((type) => !set.has(type), "unexpected type") })
    .transform((value) => ({ type: "unknown" as const, unknownType: value.type }));
}

const InputTextPart = z.looseObject({ type: z.literal("input_text"), text: TextSchema });
const OutputTextPart = z.looseObject({ type: z.literal("output_text"), text: TextSchema });
const RefusalPart = z.looseObject({ type: z.literal("refusal"), refusal: TextSchema });
const InputImagePart = z.looseObject({
  type: z.literal("input_image"),
  image_url: z.string().nullish(),
  file_id: z.string().nullish(),
  detail: z.string().nullish(),
});
const InputFilePart = z.looseObject({
  type: z.literal("input_file"),
  file_data: z.string().nullish(),
  file_id: z.string().nullish(),
  file_url: z.string().nullish(),
  filename: z.string().nullish(),
});
const PART_TYPES = ["input_text", "output_text", "refusal", "input_image", "input_file"] as const;

export const ResponsesContentPartSchema = z.union([
  z.discriminatedUnion("type", [InputTextPart, OutputTextPart, RefusalPart, InputImagePart, InputFilePart]),
  unknownOf(PART_TYPES),
]);
export type ResponsesContentPart = z.infer<typeof ResponsesContentPartSchema>;

const ContentSchema = z.union([z.string(), z.array(ResponsesContentPartSchema)]);

/** Roles of input messages; `assistant` messages carry earlier output (`output_text`, `refusal`). */
const MessageItem = z.looseObject({
  type: z.literal("message").optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: ContentSchema,
  id: z.string().nullish(),
  status: z.string().nullish(),
});

const FunctionCallItem = z.looseObject({
  type: z.literal("function_call"),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  namespace: z.string().nullish(),
  id: z.string().nullish(),
});

const CustomToolCallItem = z.looseObject({
  type: z.literal("custom_tool_call"),
  call_id: z.string().min(1),
  name: z.string().min(1),
  input: z.string(),
  namespace: z.string().nullish(),
  id: z.string().nullish(),
});

/** Tool output: a string, or input parts (Codex's `view_image` answers with an `input_image`). */
const ToolOutputItem = <T extends string>(type: T) =>
  z.looseObject({ type: z.literal(type), call_id: z.string().min(1), output: ContentSchema });

const ReasoningText = z.looseObject({ text: z.string() });
const ReasoningItem = z.looseObject({
  type: z.literal("reasoning"),
  id: z.string().nullish(),
  summary: z.array(ReasoningText).nullish(),
  content: z.array(ReasoningText).nullish(),
  /** Another server's sealed reasoning: opaque here, never decoded. */
  encrypted_content: z.string().nullish(),
});

const ItemReference = z.looseObject({ type: z.literal("item_reference"), id: z.string() });

const ITEM_TYPES = [
  "message",
  "function_call",
  "function_call_output",
  "custom_tool_call",
  "custom_tool_call_output",
  "reasoning",
  "item_reference",
] as const;

/** A message without `type` is the SDKs' "easy" input message. */
export const ResponsesInputItemSchema = z.union([
  MessageItem,
  z.discriminatedUnion("type", [
    FunctionCallItem,
    CustomToolCallItem,
    ToolOutputItem("function_call_output"),
    ToolOutputItem("custom_tool_call_output"),
    ReasoningItem,
    ItemReference,
  ]),
  unknownOf(ITEM_TYPES),
]);
export type ResponsesInputItem = z.infer<typeof ResponsesInputItemSchema>;

const FunctionTool = z.looseObject({
  type: z.literal("function"),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

const CustomTool = z.looseObject({
  type: z.literal("custom"),
  name: z.string().min(1),
  description: z.string().nullish(),
  format: z
    .looseObject({
      type: z.string(),
      syntax: z.string().nullish(),
      definition: z.string().nullish(),
    })
    .nullish(),
});

const NamespaceTool = z.looseObject({
  type: z.literal("namespace"),
  name: z.string().min(1),
  description: z.string().nullish(),
  tools: z.array(z.union([FunctionTool, CustomTool])),
});

/** Hosted tools (web_search, file_search, tool_search, …) run on OpenAI's side; the decoder drops them. */
export const ResponsesToolSchema = z.union([
  z.discriminatedUnion("type", [FunctionTool, CustomTool, NamespaceTool]),
  unknownOf(["function", "custom", "namespace"]),
]);
export type ResponsesTool = z.infer<typeof ResponsesToolSchema>;
export type ResponsesFunctionTool = z.infer<typeof FunctionTool>;
export type ResponsesCustomTool = z.infer<typeof CustomTool>;

export const ResponsesToolChoiceSchema = z.union([
  z.enum(["none", "auto", "required"]),
  z.looseObject({
    type: z.string(),
    name: z.string().nullish(),
    mode: z.enum(["auto", "required"]).nullish(),
    tools: z.array(z.looseObject({ type: z.string(), name: z.string().nullish() })).nullish(),
  }),
]);
export type ResponsesToolChoice = z.infer<typeof ResponsesToolChoiceSchema>;

export const ResponsesTextFormatSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    name: z.string().min(1),
    schema: z.record(z.string(), z.unknown()),
    strict: z.boolean().nullish(),
    description: z.string().nullish(),
  }),
]);

export type ResponsesTextFormat = z.infer<typeof ResponsesTextFormatSchema>;

/**
 * Fields shared by `POST /v1/responses` and `POST /v1/responses/input_tokens`. `stream_options`,
 * `prompt_cache_key`, `service_tier`, `safety_identifier`, `user`, `client_metadata` … are accepted and
 * ignored.
 */
const CommonFields = {
  model: z.string().min(1),
  input: z.union([z.string(), z.array(ResponsesInputItemSchema)]).nullish(),
  instructions: z.string().nullish(),
  tools: z.array(ResponsesToolSchema).nullish(),
  tool_choice: ResponsesToolChoiceSchema.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  /** `effort` is a string, not an enum: new levels appear with new models. */
  reasoning: z
    .looseObject({
      effort: z.string().nullish(),
      summary: z.string().nullish(),
      generate_summary: z.string().nullish(),
    })
    .nullish(),
  text: z
    .looseObject({ format: ResponsesTextFormatSchema.nullish(), verbosity: z.string().nullish() })
    .nullish(),
  previous_response_id: z.string().min(1).nullish(),
  conversation: z.unknown().optional(),
  truncation: z.string().nullish(),
};

export const ResponsesRequestSchema = z.looseObject({
  ...CommonFields,
  stream: z.boolean().nullish(),
  store: z.boolean().nullish(),
  /** OpenAI documents a minimum of 16; any positive count works here. */
  max_output_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_logprobs: z.number().int().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  include: z.array(z.string()).nullish(),
  background: z.boolean().nullish(),
  prompt: z.unknown().optional(),
});
export type ResponsesRequest = z.infer<typeof ResponsesRequestSchema>;

export const ResponsesInputTokensRequestSchema = z.looseObject(CommonFields);
export type ResponsesInputTokensRequest = z.infer<typeof ResponsesInputTokensRequestSchema>;
