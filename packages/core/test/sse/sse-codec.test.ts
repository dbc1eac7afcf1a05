import { describe, expect, it } from "vitest";
import {
  SseParser,
  encodeSseData,
  encodeSseEvent,
  SSE_DONE,
  SSE_MAX_MESSAGE_CHARS,
  readSseMessages,
  type SseMessage,
} from "../../src/sse/index.js";

function parseAll(chunks: (string | Uint8Array)[]): SseMessage[] {
  const parser = new SseParser();
  return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.end()];
}

/** Every way of cutting `bytes` into two pieces, plus one byte at a time. */
function splits(bytes: Uint8Array): Uint8Array[][] {
  const result: Uint8Array[][] = [];
  for (let at = 0; at <= bytes.length; at++) result.push([bytes.slice(0, at), bytes.slice(at)]);
  result.push(Array.from(bytes, (byte) => Uint8Array.of(byte)));
  return result;
}

describe("SSE encoders", () => {
  it("frame unnamed data, named events and the terminator", () => {
    expect(encodeSseData({ a: "x\ny" })).toBe('data: {"a":"x\\ny"}\n\n');
    expect(encodeSseEvent("ping", { type: "ping" })).toBe('event: ping\ndata: {"type":"ping"}\n\n');
    expect(SSE_DONE).toBe("data: [DONE]\n\n");
  });

  it("refuses an event name that would break the framing", () => {
    expect(() => encodeSseEvent("a\nb", {})).toThrow(TypeError);
  });

  it("round-trips through the parser", () => {
    const text = encodeSseEvent("message_start", { n: 1 }) + encodeSseData({ n: 2 }) + SSE_DONE;
    expect(parseAll([text])).toEqual([
      { event: "message_start", data: '{"n":1}' },
      { data: '{"n":2}' },
      { data: "[DONE]" },
    ]);
  });
});

describe("SseParser", () => {
  it("parses named events, comments and multi-line data", () => {
    const text = ": keep-alive\n\nevent: a\ndata: one\ndata:two\ndata\n\n:comment\ndata: x\n\n";
    expect(parseAll([text])).toEqual([{ event: "a", data: "one\ntwo\n" }, { data: "x" }]);
  });

  it("treats CRLF, CR and LF alike, including a CRLF split across chunks", () => {
    expect(parseAll(["data: a\r\n\r\ndata: b\r\rdata: c\n\n"])).toEqual([
      { data: "a" },
      { data: "b" },
      { data: "c" },
    ]);
    expect(parseAll(["data: a\r", "\n\r", "\ndata: b\r", "\r"])).toEqual([{ data: "a" }, { data: "b" }]);
  });

  it("survives every split of a stream with multi-byte UTF-8 and CRLF", () => {
    const text = 'event: delta\r\ndata: {"t":"héllo 🌍 世界"}\r\n\r\n: c\r\ndata: [DONE]\r\n\r\n';
    const bytes = new TextEncoder().encode(text);
    const expected = [{ event: "delta", data: '{"t":"héllo 🌍 世界"}' }, { data: "[DONE]" }];
    for (const chunks of splits(bytes)) expect(parseAll(chunks)).toEqual(expected);
  });

  it("survives every split of string input", () => {
    const text = "data: a\r\n\r\nevent: e\ndata: b\n\n";
    for (let at = 0; at <= text.length; at++) {
      expect(parseAll([text.slice(0, at), text.slice(at)])).toEqual([
        { data: "a" },
        { event: "e", data: "b" },
      ]);
    }
  });

  it("ignores messages without data and unknown fields, and resets the event name", () => {
    expect(parseAll(["event: lonely\n\nid: 7\nretry: 10\nfoo: bar\ndata: x\n\n"])).toEqual([{ data: "x" }]);
  });

  it("strips a leading BOM and only one space after the colon", () => {
    expect(parseAll(["\uFEFFdata:  two spaces\n\n"])).toEqual([{ data: " two spaces" }]);
    expect(
      parseAll([
        Uint8Array.of(0xef, 0xbb),
        Uint8Array.of(0xbf, 0x64, 0x61, 0x74, 0x61, 0x3a, 0x78, 0x0a, 0x0a),
      ]),
    ).toEqual([{ data: "x" }]);
  });

  it("strips one BOM from bytes, not a second one after it (found by fuzzing)", () => {
    // The UTF-8 decoder already removes the stream's BOM; a second U+FEFF belongs to the first field name.
    const bytes = Uint8Array.of(0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, ...new TextEncoder().encode("data:\n"));
    expect(parseAll([bytes])).toEqual([]);
    expect(parseAll(["\uFEFF\uFEFFdata: x\n\n"])).toEqual([]);
  });

  it("dispatches an unterminated last message at end()", () => {
    const parser = new SseParser();
    expect(parser.push("data: [DONE]")).toEqual([]);
    expect(parser.end()).toEqual([{ data: "[DONE]" }]);
    expect(parser.end()).toEqual([]);
    expect(() => parser.push("x")).toThrow();
  });

  it("handles a long line delivered one character at a time", () => {
    const payload = "x".repeat(50_000);
    const parser = new SseParser();
    const messages: SseMessage[] = [];
    for (const char of `data: ${payload}\n\n`) messages.push(...parser.push(char));
    expect(messages).toEqual([{ data: payload }]);
  });

  it("refuses a line that never ends once it passes the cap, instead of buffering it (issue 11: 416 MB)", () => {
    const parser = new SseParser();
    const mebibyte = "x".repeat(1024 * 1024);
    const push = () => {
      parser.push("data: ");
      for (let sent = 0; sent <= SSE_MAX_MESSAGE_CHARS; sent += mebibyte.length) parser.push(mebibyte);
    };
    expect(push).toThrow(
      expect.objectContaining({
        code: "upstream_error",
        message: expect.stringMatching(/^SSE message longer than/),
      }),
    );
  });

  it("refuses data lines that never reach a blank line once they pass the cap", () => {
    const parser = new SseParser({ maxMessageChars: 100 });
    expect(parser.push("data: 0123456789\n".repeat(5))).toEqual([]);
    expect(() => parser.push("data: 0123456789\n".repeat(5))).toThrow(
      expect.objectContaining({ code: "upstream_error" }),
    );
    // Up to the cap, a message is read as usual.
    const fits = new SseParser({ maxMessageChars: 100 });
    expect(fits.push(`data: ${"y".repeat(94)}\n\n`)).toEqual([{ data: "y".repeat(94) }]);
  });

  it("reads messages from an async chunk source", async () => {
    async function* source(): AsyncGenerator<Uint8Array> {
      const bytes = new TextEncoder().encode("data: 1\n\ndata: 2");
      yield bytes.slice(0, 4);
      yield bytes.slice(4);
    }
    const messages: SseMessage[] = [];
    for await (const message of readSseMessages(source())) messages.push(message);
    expect(messages).toEqual([{ data: "1" }, { data: "2" }]);
  });
});
