import { z } from "zod";
import type { CanonicalChatRequest, CanonicalMessage, ResponseFormat } from "../../canonical/chat-request.js";
import { CortexError } from "../../errors/cortex-error.js";
import { foldSystemMessages } from "../shared/fold-system-messages.js";
import { mergeAdjacentMessages } from "../shared/merge-adjacent-messages.js";
import { parseWithSchema } from "../shared/parse-with-schema.js";
import { parseReasoningEffort } from "../shared/reasoning-effort.js";
import type { Translation } from "../shared/translation.js";
import { decodeResponsesInput } from "./decode-responses-input.js";
import { decodeResponsesTools } from "./decode-responses-tools.js";
import {
  ResponsesInputItemSchema,
  ResponsesInputTokensRequestSchema,
  ResponsesRequestSchema,
  type ResponsesInputTokensRequest,
  type ResponsesRequest,
  type ResponsesTextFormat,
} from "./responses-request-schema.js";
import type { ResponsesToolNames } from "./responses-tool-names.js";
import type { ResponsesEcho } from "./responses-types.js";

export interface DecodeResponsesOptions {
  /**
   * The conversation a `previous_response_id` continues: that response's input and output items, or
   * undefined when no such response is stored (the request is then refused like OpenAI does: 400
   * `previous_response_not_found`).
   */
  previousItems?: (id: string) => readonly unknown[] | undefined;
}

/** What the encoders need to know about the request, besides the canonical chat. */
export interface ResponsesTurn {
  /** Request fields every Response object repeats. */
  echo: ResponsesEcho;
  /** The client's tools ↔ the function names the model sees. */
  names: ResponsesToolNames;
  /** The whole conversation's input items (a previous response's included), kept if the answer is stored. */
  input: readonly unknown[];
}

export interface DecodedResponsesRequest {
  chat: CanonicalChatRequest;
  turn: ResponsesTurn;
}

const StoredItemsSchema = z.array(ResponsesInputItemSchema);

/** `POST /v1/responses` body → canonical request and the turn's context. Throws `invalid_request` naming the field. */
export function decodeResponsesRequest(
  body: unknown,
  options: DecodeResponsesOptions = {},
): Translation<DecodedResponsesRequest> {
  const request = parseWithSchema(ResponsesRequestSchema, body);
  refuseUnsupported(request);
  const warnings: string[] = [];
  if (request.top_logprobs != null)
    warnings.push("top_logprobs: log probabilities are not available; ignored");
  const decoded = decodeCommon(request, body, options, warnings);
  const chat: CanonicalChatRequest = {
    ...decoded.chat,
    ...(request.max_output_tokens == null ? {} : { maxTokens: request.max_output_tokens }),
    ...(request.temperature == null ? {} : { temperature: request.temperature }),
    ...(request.top_p == null ? {} : { topP: request.top_p }),
    stream: request.stream ?? false,
  };
  const echo: ResponsesEcho = {
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    metadata: request.metadata ?? {},
    parallel_tool_calls: chat.parallelToolCalls,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: request.reasoning?.effort ?? null, summary: request.reasoning?.summary ?? null },
    store: request.store ?? true,
    temperature: request.temperature ?? null,
    text: {
      format: (rawField(body, ["text", "format"]) as Record<string, unknown> | undefined) ?? { type: "text" },
      ...(request.text?.verbosity ? { verbosity: request.text.verbosity } : {}),
    },
    tool_choice: rawField(body, ["tool_choice"]) ?? "auto",
    tools: (rawField(body, ["tools"]) as unknown[] | undefined) ?? [],
    top_p: request.top_p ?? null,
    truncation: request.truncation ?? "disabled",
  };
  return { value: { chat, turn: { echo, names: decoded.names, input: decoded.input } }, warnings };
}

/**
 * `POST /v1/responses/input_tokens` body → canonical request, so the count covers exactly what
 * generation would see: instructions, tools and the translated conversation.
 */
export function decodeResponsesInputTokensRequest(
  body: unknown,
  options: DecodeResponsesOptions = {},
): Translation<CanonicalChatRequest> {
  const request = parseWithSchema(ResponsesInputTokensRequestSchema, body);
  refuseUnsupported(request);
  const warnings: string[] = [];
  const { chat } = decodeCommon(request, body, options, warnings);
  return { value: chat, warnings };
}

function decodeCommon(
  request: ResponsesInputTokensRequest,
  body: unknown,
  options: DecodeResponsesOptions,
  warnings: string[],
): { chat: CanonicalChatRequest; names: ResponsesToolNames; input: unknown[] } {
  const { tools, names, toolChoice } = decodeResponsesTools(request, warnings);
  const previous = previousConversation(request.previous_response_id, options);
  const ownInput = rawField(body, ["input"]);
  const input = [
    ...previous,
    ...(typeof ownInput === "string"
      ? [{ type: "message", role: "user", content: ownInput }]
      : Array.isArray(ownInput)
        ? ownInput
        : []),
  ];
  const messages: CanonicalMessage[] = [
    ...(request.instructions ? [{ role: "system" as const, content: request.instructions }] : []),
    ...decodeResponsesInput(StoredItemsSchema.parse(previous), names, []),
    ...decodeResponsesInput(request.input, names, warnings),
  ];
  if (!messages.some((message) => message.role !== "system")) {
    throw new CortexError("invalid_request", "input: at least one input item is required", {
      param: "input",
    });
  }
  const reasoningEffort = parseReasoningEffort(request.reasoning?.effort, "reasoning.effort", warnings);
  const chat: CanonicalChatRequest = {
    model: request.model,
    messages: mergeAdjacentMessages(foldSystemMessages(messages)),
    tools,
    toolChoice,
    parallelToolCalls: request.parallel_tool_calls ?? true,
    stop: [],
    responseFormat: responseFormatOf(request.text?.format),
    ...(reasoningEffort === undefined ? {} : { reasoningEffort }),
    stream: false,
    // The terminal event carries usage, so always ask the backend for it; response.created carries
    // the prompt's, which the neuron sends before the first token.
    includeUsage: true,
    includePromptUsage: true,
  };
  return { chat, names, input };
}

function previousConversation(
  id: string | null | undefined,
  options: DecodeResponsesOptions,
): readonly unknown[] {
  if (!id) return [];
  const items = options.previousItems?.(id);
  if (items === undefined) {
    throw new CortexError("previous_response_not_found", `Previous response with id '${id}' not found.`, {
      param: "previous_response_id",
    });
  }
  return items;
}

/** Features that change what the client gets back, which this server cannot provide: a 400 naming them. */
function refuseUnsupported(request: ResponsesInputTokensRequest & Partial<ResponsesRequest>): void {
  if (request.background === true)
    throw unsupported("background", "background responses are not supported; stream instead");
  if (request.conversation !== undefined && request.conversation !== null)
    throw unsupported(
      "conversation",
      "conversations are not supported; use previous_response_id or send the input",
    );
  if (request.prompt !== undefined && request.prompt !== null)
    throw unsupported("prompt", "stored prompt templates are not supported; send instructions and input");
}

function unsupported(param: string, message: string): CortexError {
  return new CortexError("invalid_request", `${param}: ${message}`, { param });
}

function responseFormatOf(format: ResponsesTextFormat | null | undefined): ResponseFormat {
  if (!format) return { type: "text" };
  switch (format.type) {
    case "text":
      return { type: "text" };
    case "json_object":
      return { type: "json_object" };
    case "json_schema":
      return { type: "json_schema", name: format.name, schema: format.schema };
    default: {
      const unknown: never = format;
      return unknown;
    }
  }
}

/** A field of the body as the client sent it (echoed back verbatim; the schema may have normalised it). */
function rawField(body: unknown, path: readonly string[]): unknown {
  let value = body;
  for (const key of path) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value ?? undefined;
}
