import { propertyTest } from "@cortex/testkit/fuzz";
import fc from "fast-check";
import { describe, expect } from "vitest";
import { CortexError } from "../../src/errors/index.js";
import { SseParser, type SseMessage } from "../../src/sse/index.js";

/**
 * The SSE parser against a second reading of the WHATWG event-stream rules (below, written from the spec
 * and not from the parser), on streams built from SSE fields and on raw bytes, cut into chunks anywhere:
 * inside a line, between CR and LF, inside a UTF-8 sequence.
 */

/**
 * The spec's interpretation of a whole stream, plus the parser's leniency (an unterminated last message)
 * and its bound: "overflow" when a line, with the data lines of its message before it, passes `maxChars`.
 */
function referenceParse(bytes: Uint8Array, maxChars = Infinity): SseMessage[] | "overflow" {
  const text = new TextDecoder("utf-8").decode(bytes);
  const messages: SseMessage[] = [];
  let data: string[] = [];
  let dataChars = 0;
  let event = "";
  const dispatch = () => {
    if (data.length > 0) {
      const joined = data.join("\n");
      messages.push(event === "" ? { data: joined } : { event, data: joined });
    }
    data = [];
    dataChars = 0;
    event = "";
  };
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (dataChars + line.length > maxChars) return "overflow";
    if (line === "") {
      dispatch();
      continue;
    }
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "data") {
      data.push(value);
      dataChars += line.length;
    } else if (field === "event") event = value;
  }
  dispatch();
  return messages;
}

/** The messages of `chunks`, each pushed as it comes, then `end()`. */
function parseChunks(chunks: readonly Uint8Array[], maxMessageChars?: number): SseMessage[] {
  const parser = new SseParser(maxMessageChars === undefined ? {} : { maxMessageChars });
  return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.end()];
}

const value = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(
      "[DONE]",
      '{"choices":[{"delta":{"content":"hé 🌍"}}]}',
      "",
      " ",
      ":",
      "data: x",
      "\uFEFF",
    ),
    fc.string({ maxLength: 12 }).map((text) => text.replace(/[\r\n]/g, "")),
    fc.string({ unit: "grapheme", maxLength: 6 }).map((text) => text.replace(/[\r\n]/g, "")),
  );

const line = (): fc.Arbitrary<string> =>
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc.tuple(fc.constantFrom("data:", "data: ", "data:  "), value()).map(([f, v]) => f + v),
    },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom("event:", "event: "), value()).map(([f, v]) => f + v) },
    { weight: 3, arbitrary: fc.constant("") },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "id: 7",
        "retry: 10",
        ": keep-alive",
        ":",
        "data",
        "event",
        "Data: x",
        " data: x",
        "foo: bar",
      ),
    },
    { weight: 1, arbitrary: value() },
  );

/** A stream of SSE lines with mixed line breaks, maybe a BOM, maybe an unterminated tail. */
const streamText = (): fc.Arbitrary<string> =>
  fc
    .record({
      bom: fc.constantFrom("", "", "\uFEFF", "\uFEFF\uFEFF"),
      lines: fc.array(fc.tuple(line(), fc.constantFrom("\n", "\r\n", "\r")), { maxLength: 16 }),
      tail: fc.oneof(fc.constant(""), line()),
    })
    .map(({ bom, lines, tail }) => bom + lines.map(([text, end]) => text + end).join("") + tail);

const streamBytes = (): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 4, arbitrary: streamText().map((text) => new TextEncoder().encode(text)) },
    // Invalid UTF-8 and stray bytes between valid lines.
    {
      weight: 1,
      arbitrary: fc
        .tuple(streamText(), fc.uint8Array({ maxLength: 8 }), streamText())
        .map(([a, junk, b]) =>
          Uint8Array.from([...new TextEncoder().encode(a), ...junk, ...new TextEncoder().encode(b)]),
        ),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  );

/** `bytes` cut at the given points (any number of cuts, empty chunks included). */
const chunked = (): fc.Arbitrary<{ bytes: Uint8Array; chunks: Uint8Array[] }> =>
  streamBytes().chain((bytes) =>
    fc.array(fc.nat(bytes.length), { maxLength: 8 }).map((cuts) => {
      const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
      return { bytes, chunks: points.slice(1).map((end, index) => bytes.slice(points[index], end)) };
    }),
  );

describe("SseParser: fuzzed streams", () => {
  propertyTest(
    "reads what the spec reads, however the bytes are cut",
    500,
    chunked(),
    ({ bytes, chunks }) => {
      expect(parseChunks(chunks)).toEqual(referenceParse(bytes));
    },
  );

  propertyTest(
    "bounded: a message longer than the cap is an upstream_error, whatever the chunks; shorter ones read as usual",
    300,
    fc.tuple(chunked(), fc.integer({ min: 0, max: 48 })),
    ([{ bytes, chunks }, cap]) => {
      const expected = referenceParse(bytes, cap);
      if (expected !== "overflow") {
        expect(parseChunks(chunks, cap)).toEqual(expected);
        return;
      }
      expect(() => parseChunks(chunks, cap)).toThrow(expect.objectContaining({ code: "upstream_error" }));
    },
  );

  propertyTest("one byte at a time reads the same as the whole stream", 200, streamBytes(), (bytes) => {
    expect(parseChunks(Array.from(bytes, (byte) => Uint8Array.of(byte)))).toEqual(parseChunks([bytes]));
  });

  propertyTest(
    "never throws on any bytes but its own CortexError, and keeps fields on one line",
    300,
    chunked(),
    ({ chunks }) => {
      let messages: SseMessage[];
      try {
        messages = parseChunks(chunks);
      } catch (error) {
        expect(error).toBeInstanceOf(CortexError);
        return;
      }
      for (const message of messages) {
        expect(message.data).not.toMatch(/\r/);
        expect(message.event ?? "").not.toMatch(/[\r\n]/);
      }
    },
  );
});
