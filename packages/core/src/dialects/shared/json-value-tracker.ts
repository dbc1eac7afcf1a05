/**
 * Follows streamed JSON text just far enough to tell when the top-level value has closed. Lets a stream
 * decoder know a tool call's arguments are complete without re-parsing the whole text on every delta.
 */
export class JsonValueTracker {
  #depth = 0;
  #inString = false;
  #escaped = false;
  #opened = false;
  #complete = false;

  get complete(): boolean {
    return this.#complete;
  }

  push(text: string): void {
    for (const char of text) {
      if (this.#complete) return;
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (char === "\\") this.#escaped = true;
        else if (char === '"') this.#inString = false;
      } else if (char === '"') {
        this.#inString = true;
      } else if (char === "{" || char === "[") {
        this.#depth += 1;
        this.#opened = true;
      } else if (char === "}" || char === "]") {
        this.#depth -= 1;
        if (this.#opened && this.#depth <= 0) this.#complete = true;
      }
    }
  }
}
