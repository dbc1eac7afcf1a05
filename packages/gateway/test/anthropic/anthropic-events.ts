import type { SseMessage } from "@cortex/core";
import { expect } from "vitest";

export interface WireEvent {
  event: string | undefined;
  // Test-side view of arbitrary JSON; every access is asserted on.
  data: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface StreamedBlock {
  index: number;
  start: Record<string, unknown>;
  deltas: Record<string, unknown>[];
}

export function toWireEvents(messages: readonly SseMessage[]): WireEvent[] {
  return messages.map((message) => ({
    event: message.event,
    data: JSON.parse(message.data) as WireEvent["data"],
  }));
}

/**
 * The Anthropic stream grammar the SDK and Claude Code rely on (docs/api-checklist.md items 30–43): `event:` equal to
 * `data.type`, message_start first with content [] and usage, blocks opened and closed one at a time with
 * indexes 0..n-1, message_delta with stop reason and usage, message_stop last. `ping` may appear anywhere
 * after message_start. Returns the blocks in order.
 */
export function expectWellFormedStream(events: readonly WireEvent[]): StreamedBlock[] {
  for (const wire of events) expect(wire.event).toBe(wire.data.type);
  const meaningful = events.filter((wire) => wire.event !== "ping");
  const start = meaningful[0];
  expect(start?.event).toBe("message_start");
  const message = start?.data.message as Record<string, unknown>;
  expect(message).toMatchObject({ type: "message", role: "assistant", content: [], stop_reason: null });
  expect(message.stop_sequence).toBeNull();
  expect(message.id).toMatch(/^msg_[A-Za-z0-9_-]+$/);
  expect(message.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: 0 });

  const blocks: StreamedBlock[] = [];
  let open: StreamedBlock | undefined;
  const body = meaningful.slice(1, -2);
  for (const wire of body) {
    switch (wire.event) {
      case "content_block_start":
        expect(open, "a block starts while another is open").toBeUndefined();
        expect(wire.data.index).toBe(blocks.length);
        open = { index: wire.data.index as number, start: wire.data.content_block, deltas: [] };
        blocks.push(open);
        break;
      case "content_block_delta":
        expect(open, "a delta outside any block").toBeDefined();
        expect(wire.data.index).toBe(open?.index);
        open?.deltas.push(wire.data.delta);
        break;
      case "content_block_stop":
        expect(wire.data.index).toBe(open?.index);
        open = undefined;
        break;
      default:
        throw new Error(`unexpected ${String(wire.event)} between message_start and message_delta`);
    }
  }
  expect(open, "a block is still open at message_delta").toBeUndefined();
  expect(blocks.length).toBeGreaterThan(0);
  const [delta, stop] = meaningful.slice(-2);
  expect(delta?.event).toBe("message_delta");
  expect(delta?.data.delta).toMatchObject({ stop_reason: expect.any(String) });
  expect(delta?.data.usage).toMatchObject({
    input_tokens: expect.any(Number),
    output_tokens: expect.any(Number),
    cache_read_input_tokens: expect.any(Number),
  });
  expect(stop?.event).toBe("message_stop");
  // The input side is known before the first token (the neuron's prompt_usage): message_start already
  // says what message_delta says, as Anthropic's API does (LangChain reads it only there).
  const input = (usage: Record<string, unknown>) => [usage.input_tokens, usage.cache_read_input_tokens];
  expect(input(message.usage as Record<string, unknown>)).toEqual(input(delta?.data.usage));
  return blocks;
}

export function messageDelta(events: readonly WireEvent[]): WireEvent["data"] {
  const found = events.find((wire) => wire.event === "message_delta");
  if (!found) throw new Error("no message_delta");
  return found.data;
}

export function textOf(block: StreamedBlock): string {
  return block.deltas.map((delta) => (delta.type === "text_delta" ? String(delta.text) : "")).join("");
}

/** The tool input exactly as streamed: the concatenation of the block's input_json_delta fragments. */
export function streamedJson(block: StreamedBlock): string {
  return block.deltas
    .map((delta) => {
      expect(delta.type).toBe("input_json_delta");
      return String(delta.partial_json);
    })
    .join("");
}
