/**
 * An independent checker of the Anthropic streaming grammar (docs/api-spec.md §1.6, docs/api-checklist.md items 30–43), written
 * from the spec rather than from the encoder, so the property test compares two readings of it.
 */

interface WireEvent {
  event: string;
  data: unknown;
}

export interface ValidateOptions {
  /**
   * Require each tool_use block's input_json_delta concatenation to parse as a JSON object, except the
   * last block of a message that stopped at max_tokens (a call cut off mid-way).
   */
  toolJson?: boolean;
  /** Require the stream to be over (message_stop or error as last event). */
  complete?: boolean;
}

const STOP_REASONS = new Set([
  "end_turn",
  "max_tokens",
  "stop_sequence",
  "tool_use",
  "pause_turn",
  "refusal",
  "model_context_window_exceeded",
]);
const ID = /^[a-zA-Z0-9_-]+$/;

type Block = {
  index: number;
  type: "text" | "thinking" | "tool_use";
  text: string;
  signatures: number;
  lastDelta?: string;
};

export function validateAnthropicSequence(
  events: readonly WireEvent[],
  options: ValidateOptions = {},
): string[] {
  const problems: string[] = [];
  const fail = (at: number, message: string) =>
    problems.push(`#${at} ${events[at]?.event ?? "end"}: ${message}`);
  // Widened on purpose: the loop body below mutates it, which TypeScript cannot see after the loop.
  let state = "before" as "before" | "message" | "block" | "delta_sent" | "over";
  let open: Block | undefined;
  let blocks = 0;
  let toolBlocks = 0;
  /** Tool blocks whose JSON did not parse, judged at message_delta (a cut-off last call is fine). */
  let badToolJson: { at: number; index: number; problem: string }[] = [];

  events.forEach((wire, at) => {
    const data = (wire.data ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (data.type !== wire.event) fail(at, `event name ${wire.event} ≠ data.type ${String(data.type)}`);
    if (state === "over") return fail(at, "event after the stream ended");
    if (wire.event === "error") {
      if (typeof data.error?.type !== "string" || typeof data.error?.message !== "string")
        fail(at, "error needs error.type and error.message");
      state = "over";
      return;
    }
    if (state === "before") {
      if (wire.event !== "message_start") return fail(at, "first event must be message_start");
      const message = data.message ?? {};
      if (typeof message.id !== "string" || message.type !== "message" || message.role !== "assistant")
        fail(at, "bad message header");
      if (typeof message.model !== "string") fail(at, "message.model missing");
      if (!Array.isArray(message.content) || message.content.length !== 0)
        fail(at, "message.content must be []");
      if (message.stop_reason !== null || message.stop_sequence !== null)
        fail(at, "stop_reason/stop_sequence must be null");
      if (typeof message.usage?.input_tokens !== "number" || typeof message.usage?.output_tokens !== "number")
        fail(at, "message.usage missing");
      state = "message";
      return;
    }
    switch (wire.event) {
      case "ping":
        return;
      case "message_start":
        return fail(at, "second message_start");
      case "content_block_start": {
        if (state !== "message") return fail(at, "block start while a block is open or after message_delta");
        if (data.index !== blocks) fail(at, `index ${String(data.index)}, expected ${blocks}`);
        const block = data.content_block ?? {};
        if (block.type === "text") {
          if (block.text !== "") fail(at, "text block must start empty");
        } else if (block.type === "thinking") {
          if (block.thinking !== "" || block.signature !== "") fail(at, "thinking block must start empty");
        } else if (block.type === "tool_use") {
          if (typeof block.id !== "string" || !ID.test(block.id))
            fail(at, `tool_use id ${String(block.id)} invalid`);
          if (typeof block.name !== "string") fail(at, "tool_use name missing");
          if (JSON.stringify(block.input) !== "{}")
            fail(at, "tool_use input must be {} (input only via input_json_delta)");
          toolBlocks += 1;
        } else {
          fail(at, `unknown block type ${String(block.type)}`);
        }
        open = { index: blocks, type: block.type, text: "", signatures: 0 };
        blocks += 1;
        state = "block";
        return;
      }
      case "content_block_delta": {
        if (state !== "block" || !open) return fail(at, "delta outside a block");
        if (data.index !== open.index)
          fail(at, `delta for ${String(data.index)}, open block is ${open.index}`);
        const delta = data.delta ?? {};
        const allowed = {
          text: ["text_delta"],
          thinking: ["thinking_delta", "signature_delta"],
          tool_use: ["input_json_delta"],
        }[open.type];
        if (!allowed.includes(delta.type)) return fail(at, `${String(delta.type)} in a ${open.type} block`);
        if (open.lastDelta === "signature_delta") fail(at, "delta after signature_delta");
        if (delta.type === "text_delta") open.text += String(delta.text);
        if (delta.type === "thinking_delta") open.text += String(delta.thinking);
        if (delta.type === "input_json_delta") open.text += String(delta.partial_json);
        if (delta.type === "signature_delta") {
          open.signatures += 1;
          if (typeof delta.signature !== "string" || delta.signature === "") fail(at, "empty signature");
        }
        open.lastDelta = delta.type;
        return;
      }
      case "content_block_stop": {
        if (state !== "block" || !open) return fail(at, "stop outside a block");
        if (data.index !== open.index)
          fail(at, `stop for ${String(data.index)}, open block is ${open.index}`);
        if (open.type === "text" && open.text.trim() === "") fail(at, "empty or whitespace-only text block");
        if (open.type === "thinking" && (open.signatures !== 1 || open.lastDelta !== "signature_delta")) {
          fail(at, "thinking block must end with exactly one signature_delta");
        }
        if (open.type === "tool_use" && options.toolJson) {
          try {
            const input: unknown = JSON.parse(open.text);
            if (typeof input !== "object" || input === null || Array.isArray(input))
              fail(at, "tool input is not an object");
          } catch {
            badToolJson.push({
              at,
              index: open.index,
              problem: `tool input is not valid JSON: ${open.text}`,
            });
          }
        }
        open = undefined;
        state = "message";
        return;
      }
      case "message_delta": {
        if (state !== "message") return fail(at, "message_delta while a block is open or twice");
        if (blocks === 0) fail(at, "message with zero content blocks");
        const reason = data.delta?.stop_reason;
        if (!STOP_REASONS.has(reason)) fail(at, `bad stop_reason ${String(reason)}`);
        for (const bad of badToolJson)
          if (reason !== "max_tokens" || bad.index !== blocks - 1) fail(bad.at, bad.problem);
        badToolJson = [];
        // With tool calls only tool_use, or max_tokens for a turn cut off mid-call, make sense.
        const consistent =
          toolBlocks > 0 ? reason === "tool_use" || reason === "max_tokens" : reason !== "tool_use";
        if (!consistent) fail(at, `stop_reason ${String(reason)} with ${toolBlocks} tool_use blocks`);
        const sequence = data.delta?.stop_sequence;
        if (reason === "stop_sequence" ? typeof sequence !== "string" : sequence !== null)
          fail(at, "stop_sequence inconsistent");
        if (typeof data.usage?.output_tokens !== "number" || typeof data.usage?.input_tokens !== "number")
          fail(at, "usage missing");
        state = "delta_sent";
        return;
      }
      case "message_stop":
        if (state !== "delta_sent") fail(at, "message_stop without message_delta");
        state = "over";
        return;
      default:
        return fail(at, "unknown event");
    }
  });
  for (const bad of badToolJson) fail(bad.at, bad.problem);
  if (options.complete && state !== "over")
    fail(events.length, "stream did not end with message_stop or error");
  return problems;
}
