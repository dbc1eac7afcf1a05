import type { ChatStreamEvent } from "../../canonical/chat-stream-event.js";
import type { Usage, UnifiedFinishReason } from "../../canonical/chat-response.js";
import { ERROR_CODES, isErrorCode } from "../../errors/error-codes.js";
import type { NewId } from "../shared/translation.js";
import {
  anthropicEvent,
  type AnthropicDelta,
  type AnthropicDeltaUsage,
  type AnthropicEvent,
  type AnthropicStartBlock,
} from "./anthropic-event.js";
import { NO_CONTENT_TEXT } from "./anthropic-message.js";
import { encodeAnthropicUsage } from "./anthropic-usage.js";
import { toAnthropicToolUseId } from "./encode-anthropic-response.js";
import { mapAnthropicError } from "./map-anthropic-error.js";
import { toAnthropicStopReason } from "./map-anthropic-stop-reason.js";
import { parseToolInput } from "./parse-tool-input.js";

export interface AnthropicStreamEncoderOptions {
  /** The model string the client sent, echoed back. */
  requestedModel: string;
  /** `msg_…`, minted by the caller so it can log it. */
  messageId: string;
  newId: NewId;
}

export interface AnthropicStreamEncoder {
  push(event: ChatStreamEvent): AnthropicEvent[];
  /** Keep-alive; before anything else it also sends message_start, which flushes headers early. */
  ping(): AnthropicEvent[];
  /** Ends the stream with an `error` event (a failure after the 200 went out). */
  fail(message: string, type?: string): AnthropicEvent[];
  /** The backend stream is over (`[DONE]`/EOF): closes whatever is still open. */
  finish(): AnthropicEvent[];
  /** Whether message_stop or error has been sent; every call after that returns []. */
  readonly ended: boolean;
  /** What was dropped or could not be repaired, for the caller to log. */
  readonly warnings: readonly string[];
}

/** Where the message is: nothing sent → streaming blocks → waiting for usage → over. */
type Phase =
  | { name: "idle" }
  | { name: "streaming"; open: OpenBlock | undefined }
  | { name: "finishing" }
  | { name: "ended" };

type OpenBlock =
  | { kind: "text"; index: number }
  | { kind: "thinking"; index: number }
  | { kind: "tool"; index: number; call: number; json: string };

/**
 * Canonical stream → Anthropic SSE events, as a state machine that cannot emit an invalid sequence
 * (docs/api-conformance.md): blocks open and close where the canonical stream says (a stream without
 * boundaries, or with broken ones, still yields a valid sequence): one message_start first; blocks opened and closed one at a time with contiguous
 * indexes; thinking closed by a signature_delta; tool input only through input_json_delta; no block for
 * empty or whitespace-only text (whitespace is held until real text follows); never a message without
 * blocks; message_delta (stop reason, cumulative usage) then message_stop; or an error event, after which
 * nothing.
 */
export function createAnthropicStreamEncoder(options: AnthropicStreamEncoderOptions): AnthropicStreamEncoder {
  let phase: Phase = { name: "idle" };
  let nextIndex = 0;
  const startedCalls = new Set<number>();
  let held: { kind: "text" | "thinking"; text: string } | undefined;
  let stop: { unified: UnifiedFinishReason; stopSequence?: string | undefined } | undefined;
  let usage: Usage | undefined;
  const warnings: string[] = [];

  const messageStart = (inputUsage: Usage | undefined): AnthropicEvent =>
    anthropicEvent.messageStart({
      id: options.messageId,
      type: "message",
      role: "assistant",
      model: options.requestedModel,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // The input side as the neuron knew it before the first token (zeros from a backend that did
      // not say); message_delta carries the final counts.
      usage: encodeAnthropicUsage({
        promptTokens: 0,
        cachedPromptTokens: 0,
        ...inputUsage,
        completionTokens: 0,
      }),
    });
  const { blockStart, blockDelta, blockStop } = anthropicEvent;

  // ── transitions ──
  /** idle → streaming, sending message_start (with the input usage a `start` event brought). */
  const begin = (
    out: AnthropicEvent[],
    inputUsage?: Usage,
  ): Extract<Phase, { name: "streaming" }> | undefined => {
    if (phase.name === "idle") {
      out.push(messageStart(inputUsage));
      phase = { name: "streaming", open: undefined };
    }
    return phase.name === "streaming" ? phase : undefined;
  };

  const closeOpen = (streaming: Extract<Phase, { name: "streaming" }>, out: AnthropicEvent[]): void => {
    const open = streaming.open;
    held = undefined;
    if (!open) return;
    streaming.open = undefined;
    if (open.kind === "thinking") {
      // Claude Code drops thinking blocks that close without a signature.
      out.push(blockDelta(open.index, { type: "signature_delta", signature: options.newId("sig_") }));
    } else if (open.kind === "tool") {
      if (open.json.trim() === "") {
        out.push(blockDelta(open.index, { type: "input_json_delta", partial_json: "{}" }));
      } else {
        const { problem } = parseToolInput(open.json, { cutOff: stop?.unified === "length" });
        // Fragments already went out; the client sees what the model wrote (as from Anthropic's API).
        if (problem) warnings.push(`tool call ${open.call}: ${problem}; already streamed as is`);
      }
    }
    out.push(blockStop(open.index));
  };

  const open = (
    streaming: Extract<Phase, { name: "streaming" }>,
    block: OpenBlock,
    start: AnthropicStartBlock,
    out: AnthropicEvent[],
  ) => {
    closeOpen(streaming, out);
    streaming.open = block;
    out.push(blockStart(block.index, start));
  };

  /** Text and thinking share one rule: a block opens only once non-whitespace arrives. */
  const content = (kind: "text" | "thinking", text: string, out: AnthropicEvent[]): void => {
    const streaming = begin(out);
    if (!streaming || text === "") return;
    const delta = (value: string): AnthropicDelta =>
      kind === "text" ? { type: "text_delta", text: value } : { type: "thinking_delta", thinking: value };
    if (streaming.open?.kind === kind) {
      out.push(blockDelta(streaming.open.index, delta(text)));
      return;
    }
    const pending = (held?.kind === kind ? held.text : "") + text;
    if (pending.trim() === "") {
      held = { kind, text: pending };
      return;
    }
    const index = nextIndex++;
    const start: AnthropicStartBlock =
      kind === "text" ? { type: "text", text: "" } : { type: "thinking", thinking: "", signature: "" };
    open(streaming, { kind, index }, start, out);
    out.push(blockDelta(index, delta(pending)));
  };

  const toolStart = (
    event: Extract<ChatStreamEvent, { type: "tool-call-start" }>,
    out: AnthropicEvent[],
  ): void => {
    const streaming = begin(out);
    if (!streaming) return;
    if (startedCalls.has(event.index)) {
      warnings.push(`tool call ${event.index}: started twice; second start ignored`);
      return;
    }
    startedCalls.add(event.index);
    const index = nextIndex++;
    const id = toAnthropicToolUseId(event.id, options.newId);
    open(
      streaming,
      { kind: "tool", index, call: event.index, json: "" },
      { type: "tool_use", id, name: event.name, input: {} },
      out,
    );
  };

  const toolDelta = (
    event: Extract<ChatStreamEvent, { type: "tool-call-delta" }>,
    out: AnthropicEvent[],
  ): void => {
    const streaming = begin(out);
    if (!streaming || event.argumentsDelta === "") return;
    const current = streaming.open;
    if (current?.kind !== "tool" || current.call !== event.index) {
      warnings.push(`tool call ${event.index}: arguments arrived while its block was not open; dropped`);
      return;
    }
    current.json += event.argumentsDelta;
    out.push(blockDelta(current.index, { type: "input_json_delta", partial_json: event.argumentsDelta }));
  };

  const deltaUsage = (): AnthropicDeltaUsage => {
    const full = encodeAnthropicUsage(usage ?? { promptTokens: 0, completionTokens: 0 });
    return {
      input_tokens: full.input_tokens,
      output_tokens: full.output_tokens,
      cache_creation_input_tokens: full.cache_creation_input_tokens,
      cache_read_input_tokens: full.cache_read_input_tokens,
    };
  };

  /** finishing → ended: message_delta, message_stop. */
  const end = (out: AnthropicEvent[]): AnthropicEvent[] => {
    const reason = stop ?? { unified: "stop" as const };
    const stopReason = toAnthropicStopReason(reason.unified, {
      hasToolUse: startedCalls.size > 0,
      stopSequence: reason.stopSequence,
    });
    const sequence = stopReason === "stop_sequence" ? (reason.stopSequence ?? null) : null;
    out.push(anthropicEvent.messageDelta(stopReason, sequence, deltaUsage()), anthropicEvent.messageStop());
    phase = { name: "ended" };
    return out;
  };

  /** streaming → finishing: close the open block, make sure there is at least one. */
  const settle = (streaming: Extract<Phase, { name: "streaming" }>, out: AnthropicEvent[]): void => {
    closeOpen(streaming, out);
    if (nextIndex === 0) {
      const index = nextIndex++;
      out.push(
        blockStart(index, { type: "text", text: "" }),
        blockDelta(index, { type: "text_delta", text: NO_CONTENT_TEXT }),
        blockStop(index),
      );
    }
    phase = { name: "finishing" };
  };

  const fail = (message: string, type = "api_error"): AnthropicEvent[] => {
    if (phase.name === "ended") return [];
    phase = { name: "ended" };
    return [anthropicEvent.error(type, message)];
  };

  return {
    get ended() {
      return phase.name === "ended";
    },
    warnings,

    push(event) {
      if (phase.name === "ended") return [];
      if (event.type === "error") {
        const status = isErrorCode(event.code) ? ERROR_CODES[event.code].status : 500;
        return fail(event.message, mapAnthropicError(status).type);
      }
      const out: AnthropicEvent[] = [];
      if (phase.name === "finishing") {
        if (event.type !== "usage") return [];
        usage = event.usage;
        return end(out);
      }
      switch (event.type) {
        case "start":
          begin(out, event.usage);
          return out;
        case "text-start":
        case "reasoning-start":
          begin(out);
          held = undefined;
          return out;
        case "text-end":
        case "reasoning-end": {
          const streaming = begin(out);
          const kind = event.type === "text-end" ? "text" : "thinking";
          if (streaming?.open?.kind === kind) closeOpen(streaming, out);
          held = undefined;
          return out;
        }
        case "tool-call-end": {
          const streaming = begin(out);
          if (streaming?.open?.kind === "tool" && streaming.open.call === event.index)
            closeOpen(streaming, out);
          return out;
        }
        case "text-delta":
          content("text", event.text, out);
          return out;
        case "reasoning-delta":
          content("thinking", event.text, out);
          return out;
        case "tool-call-start":
          toolStart(event, out);
          return out;
        case "tool-call-delta":
          toolDelta(event, out);
          return out;
        case "finish": {
          const streaming = begin(out);
          if (!streaming) return out;
          stop = { unified: event.finishReason.unified, stopSequence: event.stopSequence };
          settle(streaming, out);
          // Usage that arrived early (out of canonical order) lets us end right away.
          return usage ? end(out) : out;
        }
        case "usage":
          usage = event.usage;
          return out;
        default: {
          const unknown: never = event;
          return unknown;
        }
      }
    },

    ping() {
      if (phase.name === "ended") return [];
      const out: AnthropicEvent[] = [];
      begin(out);
      out.push(anthropicEvent.ping());
      return out;
    },

    fail,

    finish() {
      switch (phase.name) {
        case "ended":
          return [];
        case "idle":
          return fail("the model stream ended before producing anything");
        case "streaming": {
          const out: AnthropicEvent[] = [];
          closeOpen(phase, out);
          // A stream cut off before any content is a failure, not an empty answer (checklist 78).
          if (nextIndex === 0) return [...out, ...fail("the model stream ended without any content")];
          settle(phase, out);
          return end(out);
        }
        case "finishing":
          return end([]);
        default: {
          const unknown: never = phase;
          return unknown;
        }
      }
    },
  };
}
