import type { ResponsesObject } from "@cortex/core";
import type { ResponsesStoreLimits } from "../runtime/gateway-runtime.js";

interface Entry {
  readonly response: ResponsesObject;
  /** The conversation up to and including this response: its input items, then its output items. */
  readonly items: readonly unknown[];
  readonly bytes: number;
  readonly storedAt: number;
}

/**
 * The Responses API's stored responses (requests with `store` not false), the one owner of that state:
 * what `previous_response_id` continues and `GET /v1/responses/{id}` returns. In memory, bounded by
 * bytes (the JSON of each entry) and by age, oldest first; the limits are read from the runtime at each
 * store, so a reload applies them without losing what is kept. Each entry holds its whole conversation,
 * so a chain never breaks because an older link was dropped.
 */
export class ResponseStore {
  readonly #entries = new Map<string, Entry>();
  readonly #limits: () => ResponsesStoreLimits;
  readonly #now: () => number;
  #bytes = 0;

  constructor(limits: () => ResponsesStoreLimits, now: () => number) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Bytes held now (the JSON size of the kept entries). */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Keeps `response` with its input; false when it alone exceeds the size limit (it is then not kept). */
  put(response: ResponsesObject, input: readonly unknown[]): boolean {
    const limits = this.#limits();
    this.delete(response.id);
    const items = [...input, ...response.output];
    const bytes = Buffer.byteLength(JSON.stringify(response)) + Buffer.byteLength(JSON.stringify(items));
    this.#expire(limits);
    const fits = bytes <= limits.maxBytes;
    if (fits) {
      this.#entries.set(response.id, { response, items, bytes, storedAt: this.#now() });
      this.#bytes += bytes;
    }
    // Oldest first; also what applies a size limit lowered by a reload.
    for (const [id, entry] of this.#entries) {
      if (this.#bytes <= limits.maxBytes) break;
      this.#drop(id, entry);
    }
    return fits;
  }

  get(id: string): ResponsesObject | undefined {
    return this.#live(id)?.response;
  }

  /** The items a request continuing from `id` starts with (`previous_response_id`). */
  conversation(id: string): readonly unknown[] | undefined {
    return this.#live(id)?.items;
  }

  delete(id: string): boolean {
    const entry = this.#entries.get(id);
    if (!entry) return false;
    this.#drop(id, entry);
    return true;
  }

  #live(id: string): Entry | undefined {
    this.#expire(this.#limits());
    return this.#entries.get(id);
  }

  /** Entries are in insertion order, which is age order: drop from the front while too old. */
  #expire(limits: ResponsesStoreLimits): void {
    const oldest = this.#now() - limits.maxAgeMs;
    for (const [id, entry] of this.#entries) {
      if (entry.storedAt > oldest) break;
      this.#drop(id, entry);
    }
  }

  #drop(id: string, entry: Entry): void {
    this.#entries.delete(id);
    this.#bytes -= entry.bytes;
  }
}
