import type { CanonicalChatRequest, ResponseFormat } from "../../canonical/chat-request.js";
import { CortexError } from "../../errors/cortex-error.js";
import { foldSystemMessages } from "../shared/fold-system-messages.js";
import { MAX_STOP_SEQUENCES, checkStopSequences } from "../shared/stop-sequences.js";
import { parseWithSchema } from "../shared/parse-with-schema.js";
import type { Translation } from "../shared/translation.js";
import { decodeOpenAIMessage } from "./decode-openai-message.js";
import { decodeOpenAITools } from "./decode-openai-tools.js";
import { mapOpenAIToolChoice } from "./map-openai-tool-choice.js";
import { OpenAIChatRequestSchema, type OpenAIChatRequest } from "./openai-chat-request-schema.js";

/**
 * `POST /v1/chat/completions` body → canonical request. Throws `invalid_request` naming the field.
 *
 * The neuron is its one caller, and the gateway forwards Anthropic requests to it in this dialect: cortex's
 * own limits apply (MAX_STOP_SEQUENCES, tool names up to 256 characters), not OpenAI's 4 stop sequences
 * and 64-character names, which would refuse what Anthropic clients may send.
 */
export function decodeOpenAIChatRequest(body: unknown): Translation<CanonicalChatRequest> {
  const request = parseWithSchema(OpenAIChatRequestSchema, body);
  rejectUnsupported(request);
  const warnings = droppedFieldWarnings(request);

  const tools = decodeOpenAITools(request.tools);
  const toolChoice = mapOpenAIToolChoice(request.tool_choice, new Set(tools.map((tool) => tool.name)));
  const messages = request.messages.map((message, index) =>
    decodeOpenAIMessage(message, `messages[${index}]`, warnings),
  );
  let conversationStarted = false;
  messages.forEach((message, index) => {
    if (message.role !== "system") conversationStarted = true;
    else if (conversationStarted) {
      warnings.push(
        `messages[${index}]: mid-conversation system message sent as a <system-reminder> user text`,
      );
    }
  });

  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  const topK = request.top_k ?? undefined;
  const value: CanonicalChatRequest = {
    model: request.model,
    messages: foldSystemMessages(messages),
    tools,
    toolChoice,
    parallelToolCalls: request.parallel_tool_calls ?? true,
    ...(maxTokens === undefined ? {} : { maxTokens }),
    stop: decodeStop(request.stop, warnings),
    ...(request.temperature == null ? {} : { temperature: request.temperature }),
    ...(request.top_p == null ? {} : { topP: request.top_p }),
    // llama.cpp and vLLM read top_k ≤ 0 as "disabled", which is what leaving it out means.
    ...(topK === undefined || topK <= 0 ? {} : { topK }),
    ...(request.seed == null ? {} : { seed: request.seed }),
    responseFormat: decodeResponseFormat(request.response_format),
    ...(request.reasoning_effort == null ? {} : { reasoningEffort: request.reasoning_effort }),
    stream: request.stream ?? false,
    includeUsage: request.stream_options?.include_usage ?? false,
    ...(request.stream_options?.include_prompt_usage === true ? { includePromptUsage: true } : {}),
  };
  return { value, warnings };
}

/** Fields that change the shape of the answer the client expects: refusing beats a silent surprise. */
function rejectUnsupported(request: OpenAIChatRequest): void {
  if (request.n != null && request.n !== 1) reject("n", `only 1 is supported, got ${request.n}`);
  if (request.logprobs === true) reject("logprobs", "logprobs are not supported");
  if (request.top_logprobs != null && request.top_logprobs > 0)
    reject("top_logprobs", "logprobs are not supported");
  if (request.functions !== undefined || request.function_call !== undefined) {
    reject(
      request.functions !== undefined ? "functions" : "function_call",
      "legacy functions are not supported; use tools and tool_choice",
    );
  }
  if (request.audio != null || request.modalities?.includes("audio"))
    reject("modalities", "audio output is not supported");
}

/** Sampling hints we cannot honour change quality, not validity: drop them, but say so. */
function droppedFieldWarnings(request: OpenAIChatRequest): string[] {
  const warnings: string[] = [];
  if (request.frequency_penalty) warnings.push("frequency_penalty: not supported; ignored");
  if (request.presence_penalty) warnings.push("presence_penalty: not supported; ignored");
  if (request.logit_bias && Object.keys(request.logit_bias).length > 0)
    warnings.push("logit_bias: not supported; ignored");
  if (request.prediction != null) warnings.push("prediction: not supported; ignored");
  if (request.web_search_options != null) warnings.push("web_search_options: not supported; ignored");
  return warnings;
}

function decodeStop(stop: OpenAIChatRequest["stop"], warnings: string[]): string[] {
  const list = stop == null ? [] : typeof stop === "string" ? [stop] : stop;
  checkStopSequences("stop", list, MAX_STOP_SEQUENCES);
  const kept = list.filter((sequence) => sequence !== "");
  if (kept.length < list.length) warnings.push("stop: empty stop sequences ignored");
  return kept;
}

function decodeResponseFormat(format: OpenAIChatRequest["response_format"]): ResponseFormat {
  if (format == null) return { type: "text" };
  switch (format.type) {
    case "text":
      return { type: "text" };
    case "json_object":
      return { type: "json_object" };
    case "json_schema":
      return {
        type: "json_schema",
        name: format.json_schema.name ?? "response",
        schema: format.json_schema.schema ?? {},
      };
    default: {
      const unknown: never = format;
      return unknown;
    }
  }
}

function reject(param: string, message: string): never {
  throw new CortexError("invalid_request", `${param}: ${message}`, { param });
}
