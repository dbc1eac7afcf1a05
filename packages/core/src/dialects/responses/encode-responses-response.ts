import type { ToolCall } from "../../canonical/chat-request.js";
import type { CanonicalChatResponse, UnifiedFinishReason, Usage } from "../../canonical/chat-response.js";
import type { NewId, Translation } from "../shared/translation.js";
import type { ResponsesTurn } from "./decode-responses-request.js";
import type {
  ResponsesError,
  ResponsesItemStatus,
  ResponsesObject,
  ResponsesOutputItem,
  ResponsesStatus,
  ResponsesUsage,
} from "./responses-types.js";

export interface EncodeResponsesOptions {
  /** `resp_…`, minted by the caller (it may store the response under it). */
  responseId: string;
  /** The model string the client sent, echoed back instead of the backend's id. */
  requestedModel: string;
  turn: Pick<ResponsesTurn, "echo" | "names">;
  newId: NewId;
}

/**
 * Canonical response → a Responses `Response`: reasoning (as `reasoning_text` content, or as the
 * summary when the request asked for one), the message
 * (only when its text has non-whitespace), then one `function_call` or `custom_tool_call` per call.
 * A reply cut by the token limit is `incomplete` (`max_output_tokens`), and so is the item it cut: a
 * tool call whose arguments are not a whole JSON value is never presented as completed.
 */
export function encodeResponsesResponse(
  response: CanonicalChatResponse,
  options: EncodeResponsesOptions,
): Translation<ResponsesObject> {
  const warnings: string[] = [];
  const output: ResponsesOutputItem[] = [];
  if (response.reasoning && response.reasoning.trim() !== "") {
    const text = response.reasoning;
    output.push({
      type: "reasoning",
      id: options.newId("rs_"),
      // No summariser here: asked for a summary, the client gets the reasoning itself as one.
      ...(options.turn.echo.reasoning.summary
        ? { summary: [{ type: "summary_text" as const, text }] }
        : { summary: [], content: [{ type: "reasoning_text" as const, text }] }),
      status: "completed",
    });
  }
  if (response.text.trim() !== "") {
    output.push({
      type: "message",
      id: options.newId("msg_"),
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: response.text, annotations: [], logprobs: [] }],
    });
  }
  for (const call of response.toolCalls) {
    const item = toolCallItem(
      {
        id: call.id === "" ? options.newId("call_") : call.id,
        name: call.name,
        arguments: call.arguments.trim() === "" ? "{}" : call.arguments,
      },
      options,
      "completed",
    );
    if (item.type === "custom_tool_call" && item.input === call.arguments)
      warnings.push(`tool call ${call.name}: custom tool input is not {"input": string}; sent as is`);
    output.push(item);
  }
  const { status, incomplete } = terminalStatus(response.finishReason.unified);
  const last = output.at(-1);
  if (
    incomplete === "max_output_tokens" &&
    last &&
    !(isToolCall(last) && isWholeJson(argumentsOf(last, response)))
  ) {
    last.status = "incomplete";
  }
  return {
    value: responsesObject(options, {
      status,
      createdAt: response.created,
      output,
      usage: encodeResponsesUsage(response.usage),
      ...(incomplete ? { incomplete } : {}),
    }),
    warnings,
  };
}

/** The `Response` envelope every event and answer shares; only the state varies. */
export function responsesObject(
  options: Pick<EncodeResponsesOptions, "responseId" | "requestedModel" | "turn">,
  state: {
    status: ResponsesStatus;
    createdAt: number;
    output: ResponsesOutputItem[];
    usage: ResponsesUsage | null;
    incomplete?: "max_output_tokens" | "content_filter";
    error?: ResponsesError;
  },
): ResponsesObject {
  return {
    id: options.responseId,
    object: "response",
    created_at: state.createdAt,
    ...(state.status === "completed" ? { completed_at: state.createdAt } : {}),
    status: state.status,
    error: state.error ?? null,
    incomplete_details: state.incomplete ? { reason: state.incomplete } : null,
    model: options.requestedModel,
    output: state.output,
    usage: state.usage,
    background: false,
    service_tier: "default",
    ...options.turn.echo,
  };
}

/**
 * OpenAI counts cached tokens inside `input_tokens` (unlike Anthropic). Reasoning tokens are not
 * reported by the backend, so `reasoning_tokens` is 0.
 */
export function encodeResponsesUsage(usage: Usage): ResponsesUsage {
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: { cached_tokens: Math.min(usage.cachedPromptTokens ?? 0, usage.promptTokens) },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}

/** `length` → incomplete (`max_output_tokens`), `content_filter` → incomplete; everything else finished. */
export function terminalStatus(unified: UnifiedFinishReason): {
  status: ResponsesStatus;
  incomplete?: "max_output_tokens" | "content_filter";
} {
  switch (unified) {
    case "length":
      return { status: "incomplete", incomplete: "max_output_tokens" };
    case "content_filter":
      return { status: "incomplete", incomplete: "content_filter" };
    case "stop":
    case "stop_sequence":
    case "tool_calls":
    case "error":
      return { status: "completed" };
    default: {
      const unknown: never = unified;
      return unknown;
    }
  }
}

/**
 * A canonical call → the client's item: `custom_tool_call` (with the raw input taken out of the
 * `{"input": …}` the model wrote) for custom tools, `function_call` otherwise, with `namespace` for
 * members of a namespace tool.
 */
export function toolCallItem(
  call: ToolCall,
  options: Pick<EncodeResponsesOptions, "turn" | "newId">,
  status: ResponsesItemStatus,
  /** The item's id when it has one already (a streamed call keeps the id its `.added` had). */
  itemId?: string,
): Extract<ResponsesOutputItem, { type: "function_call" | "custom_tool_call" }> {
  const origin = options.turn.names.origin(call.name);
  const namespace = origin.namespace === undefined ? {} : { namespace: origin.namespace };
  if (origin.kind === "custom") {
    return {
      type: "custom_tool_call",
      id: itemId ?? options.newId("ctc_"),
      call_id: call.id,
      name: origin.name,
      input: customInput(call.arguments),
      ...namespace,
      status,
    };
  }
  return {
    type: "function_call",
    id: itemId ?? options.newId("fc_"),
    call_id: call.id,
    name: origin.name,
    arguments: call.arguments,
    ...namespace,
    status,
  };
}

/** `{"input": "…"}` → `…`; anything else (the model ignored the schema) goes through as written. */
export function customInput(args: string): string {
  try {
    const value: unknown = JSON.parse(args);
    if (typeof value === "string") return value;
    if (
      typeof value === "object" &&
      value !== null &&
      typeof (value as { input?: unknown }).input === "string"
    )
      return (value as { input: string }).input;
  } catch {
    // Not JSON: the raw text is the best guess at what the model meant.
  }
  return args;
}

/** Whether a tool call's arguments form one whole JSON value (a call the token limit did not cut). */
export function isWholeJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function isToolCall(
  item: ResponsesOutputItem,
): item is Extract<ResponsesOutputItem, { type: "function_call" | "custom_tool_call" }> {
  return item.type === "function_call" || item.type === "custom_tool_call";
}

function argumentsOf(item: ResponsesOutputItem, response: CanonicalChatResponse): string {
  if (!isToolCall(item)) return "";
  return response.toolCalls.find((call) => call.id === item.call_id)?.arguments ?? "";
}
