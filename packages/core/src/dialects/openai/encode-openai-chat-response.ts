import type { CanonicalChatResponse } from "../../canonical/chat-response.js";
import {
  resolveFinishReason,
  toOpenAIFinishReason,
  type OpenAIFinishReason,
} from "./map-openai-finish-reason.js";
import type { OpenAIWireToolCall } from "./encode-openai-chat-request.js";
import { encodeOpenAIUsage, type OpenAIUsage } from "./openai-usage.js";

export interface OpenAIChatResponseBody {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  system_fingerprint: null;
  choices: [
    {
      index: 0;
      message: {
        role: "assistant";
        content: string | null;
        refusal: null;
        tool_calls?: OpenAIWireToolCall[];
        reasoning_content?: string;
      };
      logprobs: null;
      finish_reason: OpenAIFinishReason;
      /** vLLM's extension: the stop sequence that matched. */
      stop_reason?: string;
    },
  ];
  usage: OpenAIUsage;
}

/** Canonical response → `chat.completion` (docs/api-spec.md §2.3). */
export function encodeOpenAIChatResponse(response: CanonicalChatResponse): OpenAIChatResponseBody {
  const hasToolCalls = response.toolCalls.length > 0;
  const unified = resolveFinishReason(response.finishReason.unified, hasToolCalls);
  return {
    id: response.id,
    object: "chat.completion",
    created: response.created,
    model: response.model,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: response.text === "" && hasToolCalls ? null : response.text,
          refusal: null,
          ...(hasToolCalls
            ? {
                tool_calls: response.toolCalls.map((call) => ({
                  id: call.id,
                  type: "function" as const,
                  function: { name: call.name, arguments: call.arguments },
                })),
              }
            : {}),
          ...(response.reasoning ? { reasoning_content: response.reasoning } : {}),
        },
        logprobs: null,
        finish_reason: toOpenAIFinishReason(unified),
        ...(unified === "stop_sequence" && response.stopSequence !== undefined
          ? { stop_reason: response.stopSequence }
          : {}),
      },
    ],
    usage: encodeOpenAIUsage(response.usage),
  };
}
