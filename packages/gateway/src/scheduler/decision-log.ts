export type DecisionKind =
  "load" | "load_failed" | "evict" | "wait" | "no_fit" | "defrag" | "pin" | "unpin" | "unload";

export interface Decision {
  /** Epoch ms. */
  at: number;
  kind: DecisionKind;
  model: string;
  node: string | null;
  requestId: string | null;
  /** One human line: "evicted X on N to load Y for request R (lru: last used 12m ago)". */
  message: string;
}

/** The last N scheduling decisions, newest last; what `GET /admin/decisions` and `cortex decisions` show. */
export class DecisionLog {
  readonly #entries: Decision[] = [];
  readonly #limit: number;
  readonly #listeners = new Set<(decision: Decision) => void>();

  constructor(limit = 500) {
    this.#limit = limit;
  }

  record(decision: Decision): void {
    this.#entries.push(decision);
    if (this.#entries.length > this.#limit) this.#entries.shift();
    for (const listener of this.#listeners) listener(decision);
  }

  list(limit = this.#limit): Decision[] {
    return this.#entries.slice(-limit);
  }

  subscribe(listener: (decision: Decision) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** Records one decision, stamped with the scheduler's clock: what every part of the scheduler calls. */
export type Decide = (
  kind: DecisionKind,
  model: string,
  node: string | null,
  requestId: string | null,
  message: string,
) => void;
