import { CortexError } from "../errors/cortex-error.js";

/**
 * Server-sent events, both directions: the framings the dialects write (OpenAI's unnamed `data:`
 * messages and its `[DONE]` terminator, Anthropic's named events) and the bounded parser that reads what
 * backends and neurons send.
 */

/** One dispatched SSE message. `event` is absent for unnamed messages (the OpenAI dialect). */
export interface SseMessage {
  event?: string;
  /** The `data:` lines of the message joined with "\n". */
  data: string;
}

/** The OpenAI stream terminator. Not JSON, so it has no encoder of its own. */
export const SSE_DONE = "data: [DONE]\n\n";

/**
 * Frames one JSON payload as an unnamed SSE message (the OpenAI dialect's framing).
 * `JSON.stringify` escapes every newline, so the payload always fits on one `data:` line.
 */
export function encodeSseData(json: unknown): string {
  return `data: ${JSON.stringify(json)}\n\n`;
}

/**
 * Frames one JSON payload as a named SSE message (the Anthropic dialect's framing: clients dispatch on
 * the `event:` line and ignore frames without one).
 */
export function encodeSseEvent(event: string, json: unknown): string {
  if (/[\r\n]/.test(event))
    throw new TypeError(`SSE event name must be a single line: ${JSON.stringify(event)}`);
  return `event: ${event}\ndata: ${JSON.stringify(json)}\n\n`;
}

/**
 * The most characters one message may hold while it is read (its data lines and the line in progress):
 * far above any chunk a backend sends, far below what a line that never ends would take (issue 11: an
 * upstream drove the gateway to 416 MB).
 */
export const SSE_MAX_MESSAGE_CHARS = 4 * 1024 * 1024;

export interface SseParserOptions {
  /** Default `SSE_MAX_MESSAGE_CHARS`. */
  maxMessageChars?: number;
}

/**
 * Incremental `text/event-stream` parser (WHATWG "event stream interpretation"). Chunks may be split
 * anywhere: inside a line, between CR and LF, or inside a multi-byte UTF-8 sequence.
 *
 * One deliberate leniency: `end()` dispatches a final message that lacks its blank line, because some
 * backends close the socket right after `data: [DONE]\n`. Bounded: a message (its data lines and the
 * line in progress) longer than `maxMessageChars` throws an `upstream_error` instead of being buffered.
 */
export class SseParser {
  readonly #decoder = new TextDecoder("utf-8");
  readonly #maxMessageChars: number;
  /** Pieces of the current, unterminated line; joined only once its line break arrives. */
  #partial: string[] = [];
  #partialChars = 0;
  /** Characters of the current message's data lines, as received. */
  #dataChars = 0;
  /** A CR ended the previous chunk; a LF starting the next one belongs to the same line break. */
  #skipLeadingLf = false;
  /** Nothing has been pushed yet: a string's leading BOM is still to be stripped. */
  #atStreamStart = true;
  #data: string[] = [];
  #event = "";
  #ended = false;

  constructor(options: SseParserOptions = {}) {
    this.#maxMessageChars = options.maxMessageChars ?? SSE_MAX_MESSAGE_CHARS;
  }

  push(chunk: string | Uint8Array): SseMessage[] {
    if (this.#ended) throw new Error("SseParser: push() after end()");
    let text: string;
    if (typeof chunk === "string") {
      // The decoder strips the BOM from bytes (and only one); string input needs it done here.
      text = this.#atStreamStart && chunk.startsWith("\uFEFF") ? chunk.slice(1) : chunk;
    } else {
      text = this.#decoder.decode(chunk, { stream: true });
    }
    if (chunk.length > 0) this.#atStreamStart = false;
    return this.#consume(text);
  }

  /** Flushes a trailing partial UTF-8 sequence and an unterminated last line or message. */
  end(): SseMessage[] {
    if (this.#ended) return [];
    const messages = this.#consume(this.#decoder.decode());
    this.#ended = true;
    const rest = this.#partial.join("");
    this.#partial = [];
    this.#partialChars = 0;
    if (rest !== "") this.#line(rest, messages);
    this.#dispatch(messages);
    return messages;
  }

  #consume(text: string): SseMessage[] {
    const messages: SseMessage[] = [];
    if (text === "") return messages;
    if (this.#skipLeadingLf) {
      this.#skipLeadingLf = false;
      if (text.startsWith("\n")) text = text.slice(1);
    }
    // A long line may arrive in thousands of pieces: keep them apart until its line break arrives.
    this.#partial.push(text);
    this.#partialChars += text.length;
    if (!/[\r\n]/.test(text)) {
      this.#checkHeld(this.#partialChars);
      return messages;
    }
    const buffer = this.#partial.join("");
    const lineBreak = /[\r\n]/g;
    let lineStart = 0;
    for (let match = lineBreak.exec(buffer); match; match = lineBreak.exec(buffer)) {
      const breakAt = match.index;
      this.#line(buffer.slice(lineStart, breakAt), messages);
      lineStart = breakAt + 1;
      if (buffer[breakAt] === "\r") {
        if (breakAt + 1 === buffer.length) this.#skipLeadingLf = true;
        else if (buffer[breakAt + 1] === "\n") lineStart += 1;
      }
      lineBreak.lastIndex = lineStart;
    }
    const rest = buffer.slice(lineStart);
    this.#partial = rest === "" ? [] : [rest];
    this.#partialChars = rest.length;
    this.#checkHeld(rest.length);
    return messages;
  }

  #line(line: string, messages: SseMessage[]): void {
    this.#checkHeld(line.length);
    if (line === "") {
      this.#dispatch(messages);
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") {
      this.#data.push(value);
      this.#dataChars += line.length;
    } else if (field === "event") this.#event = value;
    // `id` and `retry` only matter to reconnecting EventSource clients; we never reconnect a stream.
  }

  #dispatch(messages: SseMessage[]): void {
    if (this.#data.length > 0) {
      const data = this.#data.join("\n");
      messages.push(this.#event === "" ? { data } : { event: this.#event, data });
    }
    this.#data = [];
    this.#dataChars = 0;
    this.#event = "";
  }

  /** Throws once the message being read, with a line of `lineChars`, would pass the cap. */
  #checkHeld(lineChars: number): void {
    if (this.#dataChars + lineChars <= this.#maxMessageChars) return;
    throw new CortexError(
      "upstream_error",
      `SSE message longer than ${this.#maxMessageChars} characters (a line or an event that never ends)`,
    );
  }
}

/** Adapts any chunk source (an undici body, a Node stream) to a sequence of SSE messages. */
export async function* readSseMessages(
  source: AsyncIterable<string | Uint8Array>,
): AsyncGenerator<SseMessage, void, undefined> {
  const parser = new SseParser();
  for await (const chunk of source) yield* parser.push(chunk);
  yield* parser.end();
}
