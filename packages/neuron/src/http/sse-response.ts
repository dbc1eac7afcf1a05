import type { ServerResponse } from "node:http";

/**
 * Writes a text/event-stream on a raw response. Nothing goes out until the first frame, so an error that
 * happens before any token (context too long, model failed to load) still gets a real HTTP status.
 */
export class SseResponse {
  readonly #res: ServerResponse;
  readonly #headers: Record<string, string>;
  readonly #onOpen: () => void;
  #opened = false;

  constructor(res: ServerResponse, headers: Record<string, string>, onOpen: () => void) {
    this.#res = res;
    this.#headers = headers;
    this.#onOpen = onOpen;
  }

  get opened(): boolean {
    return this.#opened;
  }

  get closed(): boolean {
    return this.#res.destroyed || this.#res.writableEnded;
  }

  write(frame: string): void {
    if (this.closed) return;
    if (!this.#opened) {
      this.#opened = true;
      this.#onOpen();
      this.#res.writeHead(200, {
        ...this.#headers,
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
    }
    this.#res.write(frame);
  }

  end(): void {
    if (!this.closed) this.#res.end();
  }
}
