import type { ChatStreamEvent } from "../../canonical/chat-stream-event.js";
import { ERROR_CODES, isErrorCode } from "../../errors/error-codes.js";
import type { OpenAIChunkEncoderOptions } from "./create-openai-chunk-encoder.js";
import { toOpenAIFinishReason, type OpenAIFinishReason } from "./map-openai-finish-reason.js";
import { encodeOpenAIUsage, type OpenAIUsage } from "./openai-usage.js";
import { openAIErrorObject, type OpenAIErrorBody } from "./render-openai-error.js";

export interface OpenAICompletionChunk {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices:
    | [
        {
          text: string;
          index: 0;
          logprobs: null;
          finish_reason: OpenAIFinishReason | null;
          stop_reason?: string;
        },
      ]
    | [];
  usage?: OpenAIUsage | null;
}

export interface OpenAICompletionChunkEncoder {
  encode(event: ChatStreamEvent): (OpenAICompletionChunk | OpenAIErrorBody)[];
}

/**
 * Canonical stream → `/v1/completions` chunks. Same vocabulary as chat so the neuron has one generation
 * path: only text, finish, usage and error events mean anything here.
 */
export function createOpenAICompletionChunkEncoder(
  options: OpenAIChunkEncoderOptions,
): OpenAICompletionChunkEncoder {
  let finished = false;
  let failed = false;
  let usageSent = false;
  const chunk = (choices: OpenAICompletionChunk["choices"], usage?: OpenAIUsage): OpenAICompletionChunk => ({
    id: options.id,
    object: "text_completion",
    created: options.created,
    model: options.model,
    choices,
    ...(usage !== undefined ? { usage } : options.includeUsage ? { usage: null } : {}),
  });
  const choice = (text: string, finishReason: OpenAIFinishReason | null = null, stopReason?: string) =>
    ({
      text,
      index: 0,
      logprobs: null,
      finish_reason: finishReason,
      ...(stopReason === undefined ? {} : { stop_reason: stopReason }),
    }) as const;

  return {
    encode(event) {
      if (failed || (finished && event.type !== "usage" && event.type !== "error")) return [];
      switch (event.type) {
        case "text-delta":
          return event.text === "" ? [] : [chunk([choice(event.text)])];
        case "finish": {
          finished = true;
          const unified = event.finishReason.unified;
          const stopReason = unified === "stop_sequence" ? event.stopSequence : undefined;
          return [chunk([choice("", toOpenAIFinishReason(unified), stopReason)])];
        }
        case "usage":
          if (!options.includeUsage || usageSent) return [];
          usageSent = true;
          return [chunk([], encodeOpenAIUsage(event.usage))];
        case "error": {
          failed = true;
          const status = isErrorCode(event.code) ? ERROR_CODES[event.code].status : 500;
          return [{ error: openAIErrorObject({ message: event.message, code: event.code, status }) }];
        }
        case "start":
        case "text-start":
        case "text-end":
        case "reasoning-start":
        case "reasoning-delta":
        case "reasoning-end":
        case "tool-call-start":
        case "tool-call-delta":
        case "tool-call-end":
          return [];
        default: {
          const unknown: never = event;
          return unknown;
        }
      }
    },
  };
}
