import type { SseMessage } from "./sse-message.js";

/**
 * Incremental `text/event-stream` parser (WHATWG "event stream interpretation"). Chunks may be split
 * anywhere: inside a line, between CR and LF, or inside a multi-byte UTF-8 sequence.
 *
 * One deliberate leniency: `end()` dispatches a final message that lacks its blank line, because some
 * backends close the socket right after `data: [DONE]\n`.
 */
export class SseParser {
  readonly #decoder = new TextDecoder("utf-8");
  /** Pieces of the current, unterminated line; joined only once its line break arrives. */
  #partial: string[] = [];
  /** A CR ended the previous chunk; a LF starting the next one belongs to the same line break. */
  #skipLeadingLf = false;
  #atStreamStart = true;
  #data: string[] = [];
  #event = "";
  #ended = false;

  push(chunk: string | Uint8Array): SseMessage[] {
    if (this.#ended) throw new Error("SseParser: push() after end()");
    const text = typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    return this.#consume(text);
  }

  /** Flushes a trailing partial UTF-8 sequence and an unterminated last line or message. */
  end(): SseMessage[] {
    if (this.#ended) return [];
    const messages = this.#consume(this.#decoder.decode());
    this.#ended = true;
    const rest = this.#partial.join("");
    this.#partial = [];
    if (rest !== "") this.#line(rest, messages);
    this.#dispatch(messages);
    return messages;
  }

  #consume(text: string): SseMessage[] {
    const messages: SseMessage[] = [];
    if (text === "") return messages;
    if (this.#atStreamStart) {
      this.#atStreamStart = false;
      // The decoder already strips a BOM from bytes; string input needs it done here.
      if (text.startsWith("\uFEFF")) text = text.slice(1);
    }
    if (this.#skipLeadingLf) {
      this.#skipLeadingLf = false;
      if (text.startsWith("\n")) text = text.slice(1);
    }
    // A long line may arrive in thousands of pieces: keep them apart until its line break arrives.
    this.#partial.push(text);
    if (!/[\r\n]/.test(text)) return messages;
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
    this.#partial = lineStart < buffer.length ? [buffer.slice(lineStart)] : [];
    return messages;
  }

  #line(line: string, messages: SseMessage[]): void {
    if (line === "") {
      this.#dispatch(messages);
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.#data.push(value);
    else if (field === "event") this.#event = value;
    // `id` and `retry` only matter to reconnecting EventSource clients; we never reconnect a stream.
  }

  #dispatch(messages: SseMessage[]): void {
    if (this.#data.length > 0) {
      const data = this.#data.join("\n");
      messages.push(this.#event === "" ? { data } : { event: this.#event, data });
    }
    this.#data = [];
    this.#event = "";
  }
}
