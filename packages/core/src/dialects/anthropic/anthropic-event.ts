import type { AnthropicResponseMessage } from "./anthropic-message.js";
import type { AnthropicStopReason } from "./map-anthropic-stop-reason.js";

export type AnthropicStartBlock =
  | { type: "text"; text: "" }
  | { type: "thinking"; thinking: ""; signature: "" }
  | { type: "tool_use"; id: string; name: string; input: Record<string, never> };

export type AnthropicDelta =
  | { type: "text_delta"; text: string }
  | { type: "thinking_delta"; thinking: string }
  | { type: "signature_delta"; signature: string }
  | { type: "input_json_delta"; partial_json: string };

export interface AnthropicDeltaUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/**
 * One Anthropic SSE event, named and typed; `event` always equals `data.type`. Framing
 * (`encodeSseEvent(e.event, e.data)`) stays in `sse/`.
 */
export type AnthropicEvent =
  | { event: "message_start"; data: { type: "message_start"; message: AnthropicResponseMessage } }
  | {
      event: "content_block_start";
      data: { type: "content_block_start"; index: number; content_block: AnthropicStartBlock };
    }
  | {
      event: "content_block_delta";
      data: { type: "content_block_delta"; index: number; delta: AnthropicDelta };
    }
  | { event: "content_block_stop"; data: { type: "content_block_stop"; index: number } }
  | {
      event: "message_delta";
      data: {
        type: "message_delta";
        delta: { stop_reason: AnthropicStopReason; stop_sequence: string | null };
        usage: AnthropicDeltaUsage;
      };
    }
  | { event: "message_stop"; data: { type: "message_stop" } }
  | { event: "ping"; data: { type: "ping" } }
  | { event: "error"; data: { type: "error"; error: { type: string; message: string } } };

/** Constructors, so every event is built with `event === data.type` by construction. */
export const anthropicEvent = {
  messageStart: (message: AnthropicResponseMessage): AnthropicEvent => ({
    event: "message_start",
    data: { type: "message_start", message },
  }),
  blockStart: (index: number, block: AnthropicStartBlock): AnthropicEvent => ({
    event: "content_block_start",
    data: { type: "content_block_start", index, content_block: block },
  }),
  blockDelta: (index: number, delta: AnthropicDelta): AnthropicEvent => ({
    event: "content_block_delta",
    data: { type: "content_block_delta", index, delta },
  }),
  blockStop: (index: number): AnthropicEvent => ({
    event: "content_block_stop",
    data: { type: "content_block_stop", index },
  }),
  messageDelta: (
    stopReason: AnthropicStopReason,
    stopSequence: string | null,
    usage: AnthropicDeltaUsage,
  ): AnthropicEvent => ({
    event: "message_delta",
    data: { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: stopSequence }, usage },
  }),
  messageStop: (): AnthropicEvent => ({ event: "message_stop", data: { type: "message_stop" } }),
  ping: (): AnthropicEvent => ({ event: "ping", data: { type: "ping" } }),
  error: (type: string, message: string): AnthropicEvent => ({
    event: "error",
    data: { type: "error", error: { type, message } },
  }),
};
