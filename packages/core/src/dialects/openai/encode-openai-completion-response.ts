import type { CanonicalChatResponse } from "../../canonical/chat-response.js";
import { toOpenAIFinishReason, type OpenAIFinishReason } from "./map-openai-finish-reason.js";
import { encodeOpenAIUsage, type OpenAIUsage } from "./openai-usage.js";

export type CompletionResult = Pick<
  CanonicalChatResponse,
  "id" | "model" | "created" | "text" | "finishReason" | "stopSequence" | "usage"
>;

export interface OpenAICompletionResponseBody {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: [
    { text: string; index: 0; logprobs: null; finish_reason: OpenAIFinishReason; stop_reason?: string },
  ];
  usage: OpenAIUsage;
}

/** A finished `/v1/completions` generation → `text_completion` (docs/api-spec.md §2.6). */
export function encodeOpenAICompletionResponse(result: CompletionResult): OpenAICompletionResponseBody {
  const unified = result.finishReason.unified;
  return {
    id: result.id,
    object: "text_completion",
    created: result.created,
    model: result.model,
    choices: [
      {
        text: result.text,
        index: 0,
        logprobs: null,
        finish_reason: toOpenAIFinishReason(unified),
        ...(unified === "stop_sequence" && result.stopSequence !== undefined
          ? { stop_reason: result.stopSequence }
          : {}),
      },
    ],
    usage: encodeOpenAIUsage(result.usage),
  };
}
