import { StreamBlocks, type ChatStreamEvent, type ContentDelta } from "../../canonical/chat-stream-event.js";
import type { Usage } from "../../canonical/chat-response.js";
import { decodeOpenAIError } from "./decode-openai-error.js";
import { mapOpenAIFinishReason, resolveFinishReason } from "./map-openai-finish-reason.js";
import { fallbackToolCallId, OpenAIToolCallAssembler } from "./openai-tool-call-assembler.js";
import { PROMPT_USAGE_FIELD, decodeOpenAIUsage } from "./openai-usage.js";
import { asRecord } from "../shared/translation.js";

export interface OpenAIStreamDecoder {
  /** One parsed `data:` payload (not `[DONE]`: call `end()` for that, or at EOF). */
  push(chunk: unknown): ChatStreamEvent[];
  end(): ChatStreamEvent[];
}

/**
 * Backend `chat.completion.chunk`s → the canonical stream (`start`, blocks, `finish`, `usage`), robust to
 * what OpenAI-compatible servers actually send: role-only first chunks, `content:""`/`null`, `usage:null`
 * on every chunk, usage chunks with `choices` empty/null/missing, reasoning as `reasoning_content` or
 * `reasoning`, vLLM's `stop_reason`, `{error}` chunks, and streams that end without a finish_reason.
 * A neuron's `prompt_usage` chunk (asked for with `include_prompt_usage`) opens the stream: its usage
 * goes on the `start` event.
 */
export function createOpenAIStreamDecoder(): OpenAIStreamDecoder {
  let start: Extract<ChatStreamEvent, { type: "start" }> | undefined;
  let finished = false;
  let ended = false;
  let sawContent = false;
  let usage: Usage | undefined;
  let usageSent = false;
  const tools = new OpenAIToolCallAssembler((index) => fallbackToolCallId(start?.id ?? "", index));
  // OpenAI chunks have no block boundaries: this is the one place they are placed.
  const blocks = new StreamBlocks();
  const content = (events: ChatStreamEvent[], deltas: readonly ContentDelta[]): void => {
    for (const delta of deltas) events.push(...blocks.push(delta));
  };

  const sendUsage = (events: ChatStreamEvent[]): void => {
    if (!finished || usageSent || !usage) return;
    usageSent = true;
    events.push({ type: "usage", usage });
  };

  return {
    push(chunk) {
      // Usage is the stream's last event: what a backend sends after it changes nothing.
      if (ended || usageSent || typeof chunk !== "object" || chunk === null) return [];
      const record = chunk as Record<string, unknown>;
      if (record["error"] !== undefined || record["object"] === "error") {
        ended = true;
        const error = decodeOpenAIError(record);
        return [{ type: "error", code: error.code, message: error.message }];
      }
      const events: ChatStreamEvent[] = [];
      if (!start) {
        const promptUsage = decodeOpenAIUsage(record[PROMPT_USAGE_FIELD]);
        start = {
          type: "start",
          id: typeof record["id"] === "string" ? record["id"] : "",
          model: typeof record["model"] === "string" ? record["model"] : "",
          created: typeof record["created"] === "number" ? record["created"] : 0,
          ...(promptUsage ? { usage: promptUsage } : {}),
        };
        events.push(start);
      }
      const choice = firstChoice(record["choices"]);
      if (choice && !finished) {
        const delta = asRecord(choice["delta"]) ?? {};
        const reasoning = nonEmpty(delta["reasoning_content"]) ?? nonEmpty(delta["reasoning"]);
        if (reasoning !== undefined) content(events, [{ type: "reasoning-delta", text: reasoning }]);
        const text = nonEmpty(delta["content"]);
        if (text !== undefined) content(events, [{ type: "text-delta", text }]);
        if (reasoning !== undefined || text !== undefined) sawContent = true;
        if (Array.isArray(delta["tool_calls"]))
          for (const fragment of delta["tool_calls"]) content(events, tools.push(fragment));
        const finishReason = choice["finish_reason"];
        if (typeof finishReason === "string") {
          content(events, tools.flush());
          events.push(...blocks.close(), finish(finishReason, choice["stop_reason"], tools.started > 0));
          finished = true;
        }
      }
      usage = decodeOpenAIUsage(record["usage"]) ?? usage;
      sendUsage(events);
      return events;
    },

    end() {
      if (ended) return [];
      ended = true;
      if (!start)
        return [{ type: "error", code: "upstream_error", message: "upstream stream ended before any data" }];
      const events: ChatStreamEvent[] = [];
      if (!finished) {
        content(events, tools.flush());
        events.push(...blocks.close());
        if (!sawContent && tools.started === 0) {
          return [
            ...events,
            {
              type: "error",
              code: "upstream_error",
              message: "upstream stream ended without content or finish_reason",
            },
          ];
        }
        events.push(finish(undefined, undefined, tools.started > 0));
        finished = true;
      }
      sendUsage(events);
      return events;
    },
  };
}

function finish(raw: string | undefined, stopReason: unknown, emittedToolCalls: boolean): ChatStreamEvent {
  const reason = mapOpenAIFinishReason(raw);
  // vLLM names the matched stop string in `stop_reason` (a number there is a stop token id).
  const matched = reason.unified === "stop" && typeof stopReason === "string" && stopReason !== "";
  const unified = resolveFinishReason(matched ? "stop_sequence" : reason.unified, emittedToolCalls);
  return {
    type: "finish",
    finishReason: { ...reason, unified },
    ...(matched && unified === "stop_sequence" ? { stopSequence: stopReason } : {}),
  };
}

function firstChoice(choices: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(choices)) return undefined;
  for (const choice of choices) {
    const record = asRecord(choice);
    if (record && (record["index"] === undefined || record["index"] === 0)) return record;
  }
  return undefined;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
