import { jsonRoundTrip, mutated, propertyTest } from "@cortex/testkit/fuzz";
import fc from "fast-check";
import { describe, expect } from "vitest";
import type { ChatStreamEvent, UnifiedFinishReason, Usage } from "../../src/canonical/index.js";
import {
  createOpenAIChunkEncoder,
  createOpenAIStreamDecoder,
  type OpenAIStreamPayload,
} from "../../src/dialects/index.js";
import { SSE_DONE, SseParser, encodeSseData } from "../../src/sse/index.js";
import { canonicalOrderProblems, canonicalStream } from "./canonical-stream-arbitraries.js";

/**
 * The neuron's chunk encoder and the gateway's stream decoder: what one writes the other reads back
 * (through real SSE framing, bytes cut anywhere), and the decoder turns any sequence of chunks (the
 * encoder's, broken in a few places, or a vendor's odd ones) into a canonical stream in canonical order.
 */

interface Encoded {
  payloads: OpenAIStreamPayload[];
  includeUsage: boolean;
  includePromptUsage: boolean;
}

function encode(
  events: readonly ChatStreamEvent[],
  includeUsage: boolean,
  includePromptUsage: boolean,
): Encoded {
  const encoder = createOpenAIChunkEncoder({
    id: "chatcmpl-1",
    model: "m",
    created: 1,
    includeUsage,
    includePromptUsage,
  });
  return { payloads: events.flatMap((event) => encoder.encode(event)), includeUsage, includePromptUsage };
}

/** The wire: SSE frames and [DONE] as bytes, cut at `cuts`, parsed and decoded as the gateway does. */
function overTheWire(payloads: readonly unknown[], cuts: readonly number[]): ChatStreamEvent[] {
  const bytes = new TextEncoder().encode(
    payloads.map((payload) => encodeSseData(payload)).join("") + SSE_DONE,
  );
  const points = [0, ...cuts.map((cut) => cut % (bytes.length + 1)).sort((a, b) => a - b), bytes.length];
  const parser = new SseParser();
  const decoder = createOpenAIStreamDecoder();
  const events: ChatStreamEvent[] = [];
  const take = (data: string) =>
    events.push(...(data === "[DONE]" ? decoder.end() : decoder.push(JSON.parse(data) as unknown)));
  for (let at = 1; at < points.length; at++)
    for (const message of parser.push(bytes.slice(points[at - 1], points[at]))) take(message.data);
  for (const message of parser.end()) take(message.data);
  events.push(...decoder.end());
  return events;
}

interface Summary {
  text: string;
  reasoning: string;
  calls: { id: string; name: string; arguments: string }[];
  finish?: { unified: UnifiedFinishReason; stopSequence?: string };
  usage?: Usage;
  startUsage?: Usage;
  failed: boolean;
}

function summarize(events: readonly ChatStreamEvent[]): Summary {
  const summary: Summary = { text: "", reasoning: "", calls: [], failed: false };
  for (const event of events) {
    switch (event.type) {
      case "start":
        if (event.usage) summary.startUsage = withCached(event.usage);
        break;
      case "text-delta":
        summary.text += event.text;
        break;
      case "reasoning-delta":
        summary.reasoning += event.text;
        break;
      case "tool-call-start":
        summary.calls[event.index] = { id: event.id, name: event.name, arguments: "" };
        break;
      case "tool-call-delta": {
        const call = summary.calls[event.index];
        if (call) call.arguments += event.argumentsDelta;
        break;
      }
      case "finish":
        summary.finish = {
          unified: event.finishReason.unified,
          ...(event.stopSequence === undefined ? {} : { stopSequence: event.stopSequence }),
        };
        break;
      case "usage":
        summary.usage = withCached(event.usage);
        break;
      case "error":
        summary.failed = true;
    }
  }
  return summary;
}

/** OpenAI's usage always says how many prompt tokens were cached: 0 when the producer did not know. */
function withCached(usage: Usage): Usage {
  return { ...usage, cachedPromptTokens: usage.cachedPromptTokens ?? 0 };
}

/**
 * What a client of the gateway must see for what the neuron's engine produced, restated from the
 * dialect rules (API-SPEC §2.4, resolveFinishReason in map-openai-finish-reason.ts): OpenAI has no stop_sequence or error reason
 * (vLLM's stop_reason carries a matched sequence), a turn with tool calls is a tool_calls turn unless cut
 * by length or a filter, a stream without finish ends as stop once it had content, else as an error.
 */
function expectedSummary(events: readonly ChatStreamEvent[], encoded: Encoded): Summary {
  const sent = summarize(events);
  // A call without an id gets `call_<response id>_<index>` (fallbackToolCallId in openai-tool-call-assembler.ts).
  const calls = sent.calls.map((call, index) => ({
    ...call,
    id: call.id === "" ? `call_chatcmpl-1_${index}` : call.id,
  }));
  const hasCalls = calls.length > 0;
  const finishEvent = events.find((event) => event.type === "finish");
  let finish: Summary["finish"];
  // An error after a finish (the only place it can be then) leaves the finish standing.
  if (finishEvent) {
    const { unified } = finishEvent.finishReason;
    const sequence = finishEvent.stopSequence;
    if (unified === "length" || unified === "content_filter") finish = { unified };
    else if (hasCalls) finish = { unified: "tool_calls" };
    else if (unified === "tool_calls") finish = { unified };
    else if (unified === "stop_sequence" && sequence) finish = { unified, stopSequence: sequence };
    else finish = { unified: "stop" };
  } else if (!sent.failed && (sent.text !== "" || sent.reasoning !== "" || hasCalls)) {
    finish = { unified: hasCalls ? "tool_calls" : "stop" };
  }
  // Usage is the stream's last event: an error the backend sends after it changes nothing.
  const usageAt = events.findIndex((event) => event.type === "usage");
  const errorAfterUsage = encoded.includeUsage && usageAt >= 0 && sent.failed;
  const failed = (sent.failed && !errorAfterUsage) || finish === undefined;
  return {
    text: sent.text,
    reasoning: sent.reasoning,
    calls,
    ...(finish ? { finish } : {}),
    ...(encoded.includeUsage && finishEvent && sent.usage ? { usage: sent.usage } : {}),
    ...(encoded.includePromptUsage && sent.startUsage ? { startUsage: sent.startUsage } : {}),
    failed,
  };
}

/** Chunk streams a backend could send: the encoder's, then broken in a few places. */
const backendChunks = fc
  .tuple(canonicalStream(), fc.boolean(), fc.boolean())
  .map(
    ([events, includeUsage, includePromptUsage]) => encode(events, includeUsage, includePromptUsage).payloads,
  );

describe("OpenAI chunk encoder → SSE → stream decoder", () => {
  propertyTest(
    "what the neuron's encoder writes, the gateway's decoder reads back, however the bytes are cut",
    300,
    fc.tuple(canonicalStream(), fc.boolean(), fc.boolean(), fc.array(fc.nat(), { maxLength: 6 })),
    ([events, includeUsage, includePromptUsage, cuts]) => {
      const encoded = encode(events, includeUsage, includePromptUsage);
      const decoded = overTheWire(encoded.payloads, cuts);
      expect(canonicalOrderProblems(decoded)).toEqual([]);
      const expected = expectedSummary(events, encoded);
      const got = summarize(decoded);
      if (!expected.failed) {
        expect(got).toEqual(expected);
        return;
      }
      // A call waits to start until the one before it is complete JSON (openai-tool-call-assembler.ts):
      // when the stream fails first, the calls still waiting are lost with it.
      expect(got.calls).toEqual(expected.calls.slice(0, got.calls.length));
      expect({ ...got, calls: [] }).toEqual({ ...expected, calls: [] });
    },
  );

  propertyTest(
    "the encoder sends well-formed chunks even for events out of order",
    300,
    fc.tuple(canonicalStream({ chaos: true }), fc.boolean(), fc.boolean()),
    ([events, includeUsage, includePromptUsage]) => {
      const { payloads } = encode(events, includeUsage, includePromptUsage);
      const seen = new Set<number>();
      let finishes = 0;
      payloads.forEach((payload, at) => {
        if ("error" in payload) {
          expect(at, "nothing after an error").toBe(payloads.length - 1);
          return;
        }
        expect(payload.object).toBe("chat.completion.chunk");
        if (includeUsage) expect(payload).toHaveProperty("usage");
        const [choice] = payload.choices;
        if (!choice) return;
        if (choice.finish_reason !== null) finishes += 1;
        for (const fragment of choice.delta.tool_calls ?? []) {
          expect(Number.isInteger(fragment.index)).toBe(true);
          // The first fragment of a call names it; later ones only add arguments.
          if (!seen.has(fragment.index))
            expect(fragment).toMatchObject({ id: expect.any(String), type: "function" });
          seen.add(fragment.index);
        }
      });
      expect(finishes).toBeLessThanOrEqual(1);
    },
  );
});

describe("OpenAI stream decoder: fuzzed chunks", () => {
  propertyTest(
    "any chunks, whole or broken, decode to a canonical stream in canonical order",
    400,
    fc.oneof(
      { weight: 1, arbitrary: backendChunks },
      {
        weight: 4,
        arbitrary: mutated(backendChunks, {
          keys: [
            "choices",
            "delta",
            "content",
            "tool_calls",
            "index",
            "id",
            "function",
            "arguments",
            "name",
            "finish_reason",
            "usage",
            "error",
            "reasoning_content",
            "stop_reason",
            "prompt_usage",
          ],
        }),
      },
    ),
    (chunks) => {
      const decoder = createOpenAIStreamDecoder();
      const list = Array.isArray(chunks) ? chunks : [chunks];
      const events = [...list.flatMap((chunk) => decoder.push(jsonRoundTrip(chunk))), ...decoder.end()];
      expect(canonicalOrderProblems(events)).toEqual([]);
      expect(decoder.end()).toEqual([]);
      expect(decoder.push({ choices: [{ delta: { content: "late" } }] })).toEqual([]);
    },
  );
});
