/**
 * The Responses API objects the gateway sends (openai-node 6.30's `Response`, `ResponseOutputItem`,
 * `ResponseStreamEvent`), reduced to what a translated chat can produce.
 */

export type ResponsesItemStatus = "in_progress" | "completed" | "incomplete";
export type ResponsesStatus = "in_progress" | "completed" | "incomplete" | "failed";

export interface ResponsesOutputText {
  type: "output_text";
  text: string;
  annotations: [];
  logprobs: [];
}

export interface ResponsesReasoningText {
  type: "reasoning_text";
  text: string;
}

export interface ResponsesSummaryText {
  type: "summary_text";
  text: string;
}

/**
 * The model's own reasoning goes out as `content` (`reasoning_text`), as OpenAI does for open-weight
 * models. Nothing here writes summaries: when the request asks for one (`reasoning.summary`), the
 * reasoning itself is sent as the summary instead (clients such as Codex and the AI SDK show summaries).
 */
export interface ResponsesReasoningItem {
  type: "reasoning";
  id: string;
  summary: ResponsesSummaryText[];
  content?: ResponsesReasoningText[];
  status: ResponsesItemStatus;
}

export interface ResponsesMessageItem {
  type: "message";
  id: string;
  role: "assistant";
  status: ResponsesItemStatus;
  content: ResponsesOutputText[];
}

export interface ResponsesFunctionCallItem {
  type: "function_call";
  id: string;
  call_id: string;
  name: string;
  arguments: string;
  /** Set for a function of a `namespace` tool; `name` is then its name inside the namespace. */
  namespace?: string;
  status: ResponsesItemStatus;
}

export interface ResponsesCustomToolCallItem {
  type: "custom_tool_call";
  id: string;
  call_id: string;
  name: string;
  /** The tool's raw input, not JSON. */
  input: string;
  namespace?: string;
  status: ResponsesItemStatus;
}

export type ResponsesOutputItem =
  ResponsesReasoningItem | ResponsesMessageItem | ResponsesFunctionCallItem | ResponsesCustomToolCallItem;

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface ResponsesError {
  code: string;
  message: string;
}

/** The request fields a Response echoes back (`ResponsesEcho` is built once per request). */
export interface ResponsesEcho {
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number | null;
  text: { format: Record<string, unknown>; verbosity?: string };
  tool_choice: unknown;
  tools: unknown[];
  top_p: number | null;
  truncation: string;
}

export interface ResponsesObject extends ResponsesEcho {
  id: string;
  object: "response";
  created_at: number;
  completed_at?: number;
  status: ResponsesStatus;
  error: ResponsesError | null;
  incomplete_details: { reason: "max_output_tokens" | "content_filter" } | null;
  model: string;
  output: ResponsesOutputItem[];
  usage: ResponsesUsage | null;
  background: false;
  service_tier: "default";
}

type Seq = { sequence_number: number };
type ItemRef = { item_id: string; output_index: number };

/** One event of a Responses stream; the SSE `event:` name always equals `type`. */
export type ResponsesEvent = Seq &
  (
    | { type: "response.created" | "response.in_progress"; response: ResponsesObject }
    | { type: "response.completed" | "response.incomplete" | "response.failed"; response: ResponsesObject }
    | {
        type: "response.output_item.added" | "response.output_item.done";
        output_index: number;
        item: ResponsesOutputItem;
      }
    | (ItemRef & {
        type: "response.content_part.added" | "response.content_part.done";
        content_index: number;
        part: ResponsesOutputText | ResponsesReasoningText;
      })
    | (ItemRef & { type: "response.output_text.delta"; content_index: number; delta: string; logprobs: [] })
    | (ItemRef & { type: "response.output_text.done"; content_index: number; text: string; logprobs: [] })
    | (ItemRef & { type: "response.reasoning_text.delta"; content_index: number; delta: string })
    | (ItemRef & { type: "response.reasoning_text.done"; content_index: number; text: string })
    | (ItemRef & {
        type: "response.reasoning_summary_part.added" | "response.reasoning_summary_part.done";
        summary_index: number;
        part: ResponsesSummaryText;
      })
    | (ItemRef & { type: "response.reasoning_summary_text.delta"; summary_index: number; delta: string })
    | (ItemRef & { type: "response.reasoning_summary_text.done"; summary_index: number; text: string })
    | (ItemRef & { type: "response.function_call_arguments.delta"; delta: string })
    | (ItemRef & { type: "response.function_call_arguments.done"; name: string; arguments: string })
    | (ItemRef & { type: "response.custom_tool_call_input.delta"; delta: string })
    | (ItemRef & { type: "response.custom_tool_call_input.done"; input: string })
  );

export interface ResponsesInputTokens {
  object: "response.input_tokens";
  input_tokens: number;
}
