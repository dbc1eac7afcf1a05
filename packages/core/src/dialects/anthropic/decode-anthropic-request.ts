import type { CanonicalChatRequest, ResponseFormat } from "../../canonical/chat-request.js";
import { parseWithSchema } from "../shared/parse-with-schema.js";
import { MAX_STOP_SEQUENCES, checkStopSequences } from "../shared/stop-sequences.js";
import type { Translation } from "../shared/translation.js";
import {
  AnthropicCountTokensRequestSchema,
  AnthropicRequestSchema,
  type AnthropicCountTokensRequest,
} from "./anthropic-request-schema.js";
import { decodeAnthropicMessages } from "./decode-anthropic-messages.js";
import { decodeAnthropicSystem } from "./decode-anthropic-system.js";
import { decodeAnthropicTools } from "./decode-anthropic-tools.js";
import { mapAnthropicThinking } from "./map-anthropic-thinking.js";
import { mapAnthropicToolChoice } from "./map-anthropic-tool-choice.js";

/** `POST /v1/messages` body → canonical request. Throws `invalid_request` naming the field. */
export function decodeAnthropicRequest(body: unknown): Translation<CanonicalChatRequest> {
  const request = parseWithSchema(AnthropicRequestSchema, body);
  const decoded = decodeCommon(request);
  return { ...decoded, value: { ...decoded.value, maxTokens: request.max_tokens } };
}

/**
 * `POST /v1/messages/count_tokens` body → canonical request (no `max_tokens`), so the count covers exactly
 * what generation would see: system, tools and the translated messages.
 */
export function decodeAnthropicCountTokensRequest(body: unknown): Translation<CanonicalChatRequest> {
  const decoded = decodeCommon(parseWithSchema(AnthropicCountTokensRequestSchema, body));
  return { ...decoded, value: { ...decoded.value, stream: false } };
}

function decodeCommon(request: AnthropicCountTokensRequest): Translation<CanonicalChatRequest> {
  const warnings: string[] = [];
  checkStopSequences("stop_sequences", request.stop_sequences ?? [], MAX_STOP_SEQUENCES);
  const system = decodeAnthropicSystem(request.system, warnings);
  const tools = decodeAnthropicTools(request.tools, warnings);
  const { toolChoice, parallelToolCalls } = mapAnthropicToolChoice(
    request.tool_choice,
    new Set(tools.map((tool) => tool.name)),
  );
  const reasoningEffort = mapAnthropicThinking(request.thinking, request.output_config?.effort, warnings);
  const format = request.output_config?.format ?? request.output_format;
  const responseFormat: ResponseFormat = format
    ? { type: "json_schema", name: "structured_output", schema: format.schema }
    : { type: "text" };
  const value: CanonicalChatRequest = {
    model: request.model,
    messages: decodeAnthropicMessages(system, request.messages, warnings),
    tools,
    toolChoice,
    parallelToolCalls,
    stop: (request.stop_sequences ?? []).filter((sequence) => sequence !== ""),
    ...(request.temperature == null ? {} : { temperature: request.temperature }),
    ...(request.top_p == null ? {} : { topP: request.top_p }),
    // Anthropic's top_k 0 is not a thing; llama.cpp reads 0 as "disabled", which omitting also means.
    ...(request.top_k == null || request.top_k === 0 ? {} : { topK: request.top_k }),
    responseFormat,
    ...(reasoningEffort === undefined ? {} : { reasoningEffort }),
    stream: request.stream ?? false,
    // The Anthropic encoder reports usage in message_delta, so always ask the backend for it.
    includeUsage: true,
    // message_start reports input usage: the neuron sends it before the first token.
    includePromptUsage: true,
  };
  return { value, warnings };
}
