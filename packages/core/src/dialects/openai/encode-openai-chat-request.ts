import type {
  CanonicalChatRequest,
  CanonicalMessage,
  ContentPart,
  ResponseFormat,
} from "../../canonical/chat-request.js";
import { toOpenAIToolChoice, type OpenAIToolChoiceWire } from "./map-openai-tool-choice.js";

export type OpenAIWireContentPart =
  { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

export interface OpenAIWireToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export type OpenAIWireMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string | OpenAIWireContentPart[] }
  | {
      role: "assistant";
      content: string | null;
      tool_calls?: OpenAIWireToolCall[];
      reasoning_content?: string;
    }
  | { role: "tool"; tool_call_id: string; content: string };

export interface OpenAIChatRequestBody {
  model: string;
  messages: OpenAIWireMessage[];
  stream: boolean;
  /** `include_prompt_usage` is cortex's (see `PROMPT_USAGE_OPTION`). */
  stream_options?: { include_usage: true; include_prompt_usage?: true };
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string[];
  temperature?: number;
  top_p?: number;
  /** Extension field (llama.cpp, vLLM). */
  top_k?: number;
  seed?: number;
  tools?: {
    type: "function";
    function: { name: string; description?: string; parameters: Record<string, unknown>; strict?: boolean };
  }[];
  tool_choice?: OpenAIToolChoiceWire;
  parallel_tool_calls?: boolean;
  response_format?:
    | { type: "json_object" }
    | { type: "json_schema"; json_schema: { name: string; schema: Record<string, unknown>; strict: true } };
  reasoning_effort?: string;
}

export interface EncodeOpenAIChatRequestOptions {
  /** `max_tokens` is understood by every OpenAI-compatible server; `max_completion_tokens` by newer ones. */
  maxTokensField?: "max_tokens" | "max_completion_tokens";
}

/** Canonical request → the body a neuron (or any OpenAI-compatible backend) receives. */
export function encodeOpenAIChatRequest(
  request: CanonicalChatRequest,
  options: EncodeOpenAIChatRequestOptions = {},
): OpenAIChatRequestBody {
  const hasTools = request.tools.length > 0;
  return {
    model: request.model,
    messages: request.messages.map(encodeMessage),
    stream: request.stream,
    // Always ask for usage: the Anthropic encoder needs it and it costs one chunk.
    ...(request.stream
      ? {
          stream_options: {
            include_usage: true as const,
            ...(request.includePromptUsage === true ? { include_prompt_usage: true as const } : {}),
          },
        }
      : {}),
    ...(request.maxTokens === undefined
      ? {}
      : { [options.maxTokensField ?? "max_tokens"]: request.maxTokens }),
    ...(request.stop.length > 0 ? { stop: request.stop } : {}),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.topP === undefined ? {} : { top_p: request.topP }),
    ...(request.topK === undefined ? {} : { top_k: request.topK }),
    ...(request.seed === undefined ? {} : { seed: request.seed }),
    ...(hasTools
      ? {
          tools: request.tools.map((tool) => ({
            type: "function" as const,
            function: {
              name: tool.name,
              ...(tool.description === undefined ? {} : { description: tool.description }),
              parameters: tool.parameters,
              ...(tool.strict === undefined ? {} : { strict: tool.strict }),
            },
          })),
          tool_choice: toOpenAIToolChoice(request.toolChoice),
          parallel_tool_calls: request.parallelToolCalls,
        }
      : {}),
    ...encodeResponseFormat(request.responseFormat),
    ...(request.reasoningEffort === undefined ? {} : { reasoning_effort: request.reasoningEffort }),
  };
}

function encodeMessage(message: CanonicalMessage): OpenAIWireMessage {
  switch (message.role) {
    case "system":
      return { role: "system", content: message.content };
    case "user":
      return { role: "user", content: encodeUserContent(message.content) };
    case "assistant":
      return {
        role: "assistant",
        // Some backends reject "" next to tool_calls; null is what OpenAI itself sends.
        content: message.content === "" && message.toolCalls.length > 0 ? null : message.content,
        ...(message.toolCalls.length > 0
          ? {
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: "function" as const,
                function: { name: call.name, arguments: call.arguments },
              })),
            }
          : {}),
        ...(message.reasoning ? { reasoning_content: message.reasoning } : {}),
      };
    case "tool":
      return { role: "tool", tool_call_id: message.toolCallId, content: message.content };
    default: {
      const unknown: never = message;
      return unknown;
    }
  }
}

/** A lone text part goes as a plain string: the form every chat template handles. */
function encodeUserContent(parts: ContentPart[]): string | OpenAIWireContentPart[] {
  const [only] = parts;
  if (parts.length === 1 && only?.type === "text") return only.text;
  return parts.map((part) =>
    part.type === "text"
      ? { type: "text", text: part.text }
      : { type: "image_url", image_url: { url: part.url } },
  );
}

function encodeResponseFormat(format: ResponseFormat): Pick<OpenAIChatRequestBody, "response_format"> {
  switch (format.type) {
    case "text":
      return {};
    case "json_object":
      return { response_format: { type: "json_object" } };
    case "json_schema":
      return {
        response_format: {
          type: "json_schema",
          json_schema: { name: format.name, schema: format.schema, strict: true },
        },
      };
    default: {
      const unknown: never = format;
      return unknown;
    }
  }
}
