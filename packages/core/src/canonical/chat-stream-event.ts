import type { FinishReason, Usage } from "./chat-response.js";

/**
 * One union for every streamed chat, whichever dialect produced or will consume it, with explicit
 * content blocks (as the AI SDK's stream parts have them), so no encoder infers where a block begins or
 * ends:
 *
 *   start ( text-start text-delta* text-end
 *         | reasoning-start reasoning-delta* reasoning-end
 *         | tool-call-start tool-call-delta* tool-call-end )* finish usage?
 *
 * Blocks never overlap: one is open at a time. `error` may come anywhere after `start` and ends the
 * stream (an open block stays unclosed). Producers emit only `ContentDelta`s and let `StreamBlocks`
 * place the boundaries.
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
  | { type: "text-start" }
  | { type: "text-delta"; text: string }
  | { type: "text-end" }
  | { type: "reasoning-start" }
  | { type: "reasoning-delta"; text: string }
  | { type: "reasoning-end" }
  /** `index` numbers tool calls 0..n-1 in the order they start. */
  | { type: "tool-call-start"; index: number; id: string; name: string }
  | { type: "tool-call-delta"; index: number; argumentsDelta: string }
  | { type: "tool-call-end"; index: number }
  | { type: "finish"; finishReason: FinishReason; stopSequence?: string }
  | { type: "usage"; usage: Usage }
  | { type: "error"; code: string; message: string };

/** What generators emit: content as it comes, without block boundaries. */
export type ContentDelta = Extract<
  ChatStreamEvent,
  { type: "text-delta" | "reasoning-delta" | "tool-call-start" | "tool-call-delta" }
>;

type BlockKind = "text" | "reasoning" | "tool";

/**
 * Places the block boundaries in a producer's content deltas: a delta of another kind (or a new tool
 * call) closes the open block and opens its own; `close()` ends the last one before `finish`. Empty
 * deltas open nothing. What cannot be placed (arguments for a call that is not the open block) is
 * dropped and said in `warnings`.
 */
export class StreamBlocks {
  readonly warnings: string[] = [];
  #open: { kind: BlockKind; call: number } | undefined;

  push(delta: ContentDelta): ChatStreamEvent[] {
    switch (delta.type) {
      case "text-delta":
      case "reasoning-delta": {
        if (delta.text === "") return [];
        const kind = delta.type === "text-delta" ? "text" : "reasoning";
        if (this.#open?.kind === kind) return [delta];
        const events = this.close();
        this.#open = { kind, call: -1 };
        events.push({ type: kind === "text" ? "text-start" : "reasoning-start" }, delta);
        return events;
      }
      case "tool-call-start": {
        const events = this.close();
        this.#open = { kind: "tool", call: delta.index };
        events.push(delta);
        return events;
      }
      case "tool-call-delta":
        if (delta.argumentsDelta === "") return [];
        if (this.#open?.kind === "tool" && this.#open.call === delta.index) return [delta];
        this.warnings.push(
          `tool call ${delta.index}: arguments arrived while its block was not open; dropped`,
        );
        return [];
      default:
        return delta satisfies never;
    }
  }

  /** Ends the open block, if any. */
  close(): ChatStreamEvent[] {
    const open = this.#open;
    this.#open = undefined;
    if (!open) return [];
    if (open.kind === "tool") return [{ type: "tool-call-end", index: open.call }];
    return [{ type: open.kind === "text" ? "text-end" : "reasoning-end" }];
  }
}
