import type { FinishReason, Usage } from "./chat-response.js";

/**
 * One union for every streamed chat, whichever dialect produced or will consume it.
 * Order: `start`, then any mix of deltas, then `finish`, then optionally `usage`. `error` may replace
 * anything after `start` and ends the stream.
 */
export type ChatStreamEvent =
  | {
      type: "start";
      id: string;
      model: string;
      created: number;
      /**
       * The prompt side of usage, known before the first token (`completionTokens` 0): Anthropic's
       * `message_start` and the Responses API's `response.created` report it. Absent when the producer
       * did not say (a backend without cortex's `include_prompt_usage`).
       */
      usage?: Usage;
    }
  | { type: "text-delta"; text: string }
  | { type: "reasoning-delta"; text: string }
  /** `index` numbers tool calls 0..n-1 in the order they start. */
  | { type: "tool-call-start"; index: number; id: string; name: string }
  | { type: "tool-call-delta"; index: number; argumentsDelta: string }
  | { type: "finish"; finishReason: FinishReason; stopSequence?: string }
  | { type: "usage"; usage: Usage }
  | { type: "error"; code: string; message: string };
