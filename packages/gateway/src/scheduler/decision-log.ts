export type DecisionKind =
  | "load"
  | "load_failed"
  | "evict"
  | "wait"
  | "no_fit"
  | "defrag"
  | "pin"
  | "unpin"
  | "unload"
  /** A request left the node holding its prompt prefix (waiting there would have cost more). */
  | "route"
  /** A replica added (requests queued, or below `min`) or removed (idle beyond `min`). */
  | "replica"
  /** A model unused past its `idle_unload`. */
  | "idle_unload"
  /** A model swapped back onto a node shortly after it was swapped out. */
  | "thrash";

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

/** A model swapped back onto a node within this long of its eviction there counts as thrash. */
export const THRASH_WINDOW_MS = 60_000;
const SWAP_MEMORY_LIMIT = 1024;

/**
 * Watches evictions and loads for swap thrash: requests for several models competing for one node's
 * memory, each load evicting what the next request needs. Returns the decision line to add when a load
 * brings back a model evicted from the same node moments ago. Bounded: the oldest evictions are forgotten.
 */
export class SwapWatch {
  readonly #evictedAt = new Map<string, number>();

  note(kind: DecisionKind, model: string, node: string | null, at: number): string | null {
    if (node === null) return null;
    const key = `${node}\u0000${model}`;
    if (kind === "evict") {
      this.#evictedAt.delete(key);
      this.#evictedAt.set(key, at);
      if (this.#evictedAt.size > SWAP_MEMORY_LIMIT) {
        const oldest = this.#evictedAt.keys().next().value;
        if (oldest !== undefined) this.#evictedAt.delete(oldest);
      }
      return null;
    }
    if (kind !== "load") return null;
    const evicted = this.#evictedAt.get(key);
    if (evicted === undefined) return null;
    this.#evictedAt.delete(key);
    if (at - evicted > THRASH_WINDOW_MS) return null;
    return (
      `swap thrash on ${node}: ${model} is loaded again ${Math.round((at - evicted) / 1000)} s after it ` +
      `was evicted there; requests for more models than fit compete for its memory (pin one, add memory, ` +
      `or allow the models on other nodes)`
    );
  }
}
