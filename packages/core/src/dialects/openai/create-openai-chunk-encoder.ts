import type { ChatStreamEvent } from "../../canonical/chat-stream-event.js";
import { ERROR_CODES, isErrorCode } from "../../errors/error-codes.js";
import {
  resolveFinishReason,
  toOpenAIFinishReason,
  type OpenAIFinishReason,
} from "./map-openai-finish-reason.js";
import { openAIErrorObject, type OpenAIErrorBody } from "./render-openai-error.js";
import { PROMPT_USAGE_FIELD, encodeOpenAIUsage, type OpenAIUsage } from "./openai-usage.js";

export interface OpenAIChunkEncoderOptions {
  id: string;
  model: string;
  /** Unix seconds. */
  created: number;
  /** The client's `stream_options.include_usage`. */
  includeUsage: boolean;
  /** cortex's `stream_options.include_prompt_usage`: a `prompt_usage` chunk for a `start` with usage. */
  includePromptUsage?: boolean;
}

export interface OpenAIChunkDelta {
  role?: "assistant";
  /** `null` only in the first delta of a reply that does not start with text (OpenAI's own shape). */
  content?: string | null;
  reasoning_content?: string;
  tool_calls?: {
    index: number;
    id?: string;
    type?: "function";
    function: { name?: string; arguments: string };
  }[];
}

export interface OpenAIChatChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices:
    | [
        {
          index: 0;
          delta: OpenAIChunkDelta;
          logprobs: null;
          finish_reason: OpenAIFinishReason | null;
          stop_reason?: string;
        },
      ]
    | [];
  usage?: OpenAIUsage | null;
  /** cortex's prompt usage before the first token (`PROMPT_USAGE_FIELD`), only when asked for. */
  prompt_usage?: OpenAIUsage;
}

export type OpenAIStreamPayload = OpenAIChatChunk | OpenAIErrorBody;

export interface OpenAIChunkEncoder {
  /** Wire objects for one canonical event; frame each with `encodeSseData`, then end with `SSE_DONE`. */
  encode(event: ChatStreamEvent): OpenAIStreamPayload[];
}

/**
 * Canonical stream → `chat.completion.chunk`s as the openai SDK and Zed parse them (docs/api-spec.md §2.4): role
 * first, tool-call fragments always carrying `index`, `usage:null` on every chunk when usage was asked
 * for and a final `choices:[]` usage chunk. Events out of order are dropped rather than sent.
 *
 * The role goes with the first content, the way OpenAI sends it: `{role, content: ""}` as its own chunk
 * before text, merged as `{role, content: null, …}` into the first tool-call (or reasoning) delta. A
 * `content: ""` before a tool call makes @ai-sdk/openai emit an empty text part ahead of the call.
 */
export function createOpenAIChunkEncoder(options: OpenAIChunkEncoderOptions): OpenAIChunkEncoder {
  let roleSent = false;
  let finished = false;
  let failed = false;
  let usageSent = false;
  const toolCalls = new Set<number>();

  const chunk = (
    delta: OpenAIChunkDelta,
    finishReason: OpenAIFinishReason | null = null,
    stopReason?: string,
  ) => {
    const value: OpenAIChatChunk = {
      id: options.id,
      object: "chat.completion.chunk",
      created: options.created,
      model: options.model,
      choices: [
        {
          index: 0,
          delta,
          logprobs: null,
          finish_reason: finishReason,
          ...(stopReason === undefined ? {} : { stop_reason: stopReason }),
        },
      ],
      ...(options.includeUsage ? { usage: null } : {}),
    };
    return value;
  };
  /** A chunk without choices: the final usage, or cortex's prompt usage before the first token. */
  const usageChunk = (usage: Pick<OpenAIChatChunk, "usage" | "prompt_usage">): OpenAIChatChunk => ({
    id: options.id,
    object: "chat.completion.chunk",
    created: options.created,
    model: options.model,
    choices: [],
    ...usage,
  });
  /** Text (or nothing at all) first: the role chunk with `content: ""` goes ahead of `chunks`. */
  const withRole = (chunks: OpenAIStreamPayload[]): OpenAIStreamPayload[] => {
    if (roleSent) return chunks;
    roleSent = true;
    return [chunk({ role: "assistant", content: "" }), ...chunks];
  };
  /** Anything but text first: the role rides on that delta, with `content: null`. */
  const withRoleIn = (delta: OpenAIChunkDelta): OpenAIStreamPayload[] => {
    if (roleSent) return [chunk(delta)];
    roleSent = true;
    return [chunk({ role: "assistant", content: null, ...delta })];
  };

  return {
    encode(event) {
      if (failed) return [];
      if (finished && event.type !== "usage" && event.type !== "error") return [];
      switch (event.type) {
        case "start":
          // The role waits for the first content: only then is it known whether that is text.
          if (!options.includePromptUsage || event.usage === undefined || roleSent) return [];
          return [
            usageChunk({
              ...(options.includeUsage ? { usage: null } : {}),
              [PROMPT_USAGE_FIELD]: encodeOpenAIUsage(event.usage),
            }),
          ];
        // OpenAI chunks carry no block boundaries: a delta's kind says it all.
        case "text-start":
        case "text-end":
        case "reasoning-start":
        case "reasoning-end":
        case "tool-call-end":
          return [];
        case "text-delta":
          return event.text === "" ? [] : withRole([chunk({ content: event.text })]);
        case "reasoning-delta":
          return event.text === "" ? [] : withRoleIn({ reasoning_content: event.text });
        case "tool-call-start": {
          if (toolCalls.has(event.index)) return [];
          toolCalls.add(event.index);
          const fragment = {
            index: event.index,
            id: event.id,
            type: "function" as const,
            function: { name: event.name, arguments: "" },
          };
          return withRoleIn({ tool_calls: [fragment] });
        }
        case "tool-call-delta":
          if (!toolCalls.has(event.index) || event.argumentsDelta === "") return [];
          return [
            chunk({ tool_calls: [{ index: event.index, function: { arguments: event.argumentsDelta } }] }),
          ];
        case "finish": {
          finished = true;
          const unified = resolveFinishReason(event.finishReason.unified, toolCalls.size > 0);
          const stopReason = unified === "stop_sequence" ? event.stopSequence : undefined;
          return withRole([chunk({}, toOpenAIFinishReason(unified), stopReason)]);
        }
        case "usage":
          if (!options.includeUsage || usageSent) return [];
          usageSent = true;
          return [usageChunk({ usage: encodeOpenAIUsage(event.usage) })];
        case "error": {
          failed = true;
          const status = isErrorCode(event.code) ? ERROR_CODES[event.code].status : 500;
          return [{ error: openAIErrorObject({ message: event.message, code: event.code, status }) }];
        }
        default: {
          const unknown: never = event;
          return unknown;
        }
      }
    },
  };
}
