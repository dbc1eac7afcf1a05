import type { ServerResponse } from "node:http";

/**
 * A text/event-stream on a raw response. Headers wait for the first frame, as on the real neuron, so
 * an error before the first token still gets a real HTTP status and a stall at 0 tokens sends nothing.
 */
export class SseWriter {
  readonly #res: ServerResponse;
  #opened = false;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  get opened(): boolean {
    return this.#opened;
  }

  write(frame: string): void {
    if (this.#res.destroyed || this.#res.writableEnded) return;
    if (!this.#opened) {
      this.#opened = true;
      this.#res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
    }
    this.#res.write(frame);
  }

  end(): void {
    if (!this.#res.destroyed && !this.#res.writableEnded) this.#res.end();
  }
}
