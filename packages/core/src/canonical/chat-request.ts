/**
 * The one chat vocabulary inside cortex. OpenAI and Anthropic are decoded into this at the edges and
 * encoded back out of it; the neuron's engine consumes it directly.
 */

export type JsonSchema = Record<string, unknown>;

export type ContentPart =
  | { type: "text"; text: string }
  /** `url` is an http(s) URL or a `data:<media>;base64,...` URL. */
  | { type: "image"; url: string };

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text of the arguments object, exactly as the model produced it. */
  arguments: string;
}

export type CanonicalMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: ContentPart[] }
  | { role: "assistant"; content: string; reasoning?: string; toolCalls: ToolCall[] }
  | { role: "tool"; toolCallId: string; content: string; isError?: boolean };

export interface ToolDefinition {
  name: string;
  description?: string;
  parameters: JsonSchema;
  strict?: boolean;
}

export type ToolChoice =
  { type: "auto" } | { type: "none" } | { type: "required" } | { type: "tool"; name: string };

export type ResponseFormat =
  { type: "text" } | { type: "json_object" } | { type: "json_schema"; name: string; schema: JsonSchema };

export type ReasoningEffort = "none" | "minimal" | "low" | "medium" | "high" | "xhigh" | "max";

export interface CanonicalChatRequest {
  model: string;
  messages: CanonicalMessage[];
  tools: ToolDefinition[];
  toolChoice: ToolChoice;
  parallelToolCalls: boolean;
  /** Undefined means "as many as the context allows". */
  maxTokens?: number;
  stop: string[];
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  responseFormat: ResponseFormat;
  reasoningEffort?: ReasoningEffort;
  stream: boolean;
  /** OpenAI `stream_options.include_usage`; the Anthropic encoder always wants usage. */
  includeUsage: boolean;
  /**
   * cortex's `stream_options.include_prompt_usage` (the neuron protocol, `PROMPT_USAGE_FIELD`): the
   * prompt's usage in a chunk before the first token. Dialects that report input usage when a stream
   * starts (Anthropic `message_start`) ask the neuron for it; plain OpenAI clients never get it unasked.
   */
  includePromptUsage?: boolean;
}
