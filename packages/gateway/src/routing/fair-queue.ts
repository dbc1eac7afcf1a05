import { PRIORITY_CLASSES, type PriorityClass } from "@cortex/core";

/**
 * The waiting room of one model: higher priority classes first, and within a class start-time fair
 * queuing between flows (API keys). Each entry gets a virtual start tag, one past the later of its
 * flow's previous tag and the class's virtual time (the tag last served); entries are served by tag. A
 * key that queued a hundred requests holds tags 1..100, a key arriving later gets the next tag to be
 * served: one key flooding a model cannot starve another. Pure data structure; the scheduler owns it.
 */

export interface QueueEntry<T> {
  readonly item: T;
  readonly priority: PriorityClass;
  readonly flow: string;
  /** Virtual start tag within its class. */
  readonly tag: number;
  /** Arrival order, the tie-breaker. */
  readonly seq: number;
}

interface ClassQueue<T> {
  /** Sorted by (tag, seq). */
  entries: QueueEntry<T>[];
  virtualTime: number;
  /** The last tag each flow got; forgotten once the class runs empty (a new busy period). */
  lastTags: Map<string, number>;
}

export type PushResult<T> =
  /** Queued. `displaced` was queued before and is pushed out to make room (last in service order). */
  | { readonly queued: true; readonly entry: QueueEntry<T>; readonly displaced?: QueueEntry<T> }
  /** Full, and the newcomer would have been served last: refused. */
  | { readonly queued: false };

const RANK: Readonly<Record<PriorityClass, number>> = Object.fromEntries(
  PRIORITY_CLASSES.map((name, index) => [name, index]),
) as Record<PriorityClass, number>;

export class FairQueue<T> {
  readonly #classes: ClassQueue<T>[] = PRIORITY_CLASSES.map(() => ({
    entries: [],
    virtualTime: 0,
    lastTags: new Map(),
  }));
  #seq = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /**
   * Queues `item`. When `limit` entries are already waiting, the entry served last (lowest class,
   * latest tag) makes room if the newcomer would be served before it; otherwise the newcomer is refused.
   */
  push(item: T, priority: PriorityClass, flow: string, limit = Number.POSITIVE_INFINITY): PushResult<T> {
    const queue = this.#classes[RANK[priority]] as ClassQueue<T>;
    const tag = Math.max(queue.virtualTime, queue.lastTags.get(flow) ?? 0) + 1;
    const entry: QueueEntry<T> = { item, priority, flow, tag, seq: this.#seq++ };
    let displaced: QueueEntry<T> | undefined;
    if (this.#size >= limit) {
      const last = this.last();
      if (last === undefined || compareEntries(entry, last) > 0) return { queued: false };
      this.remove(last);
      displaced = last;
    }
    queue.lastTags.set(flow, tag);
    insertSorted(queue.entries, entry);
    this.#size++;
    return displaced ? { queued: true, entry, displaced } : { queued: true, entry };
  }

  /** Every entry in service order: classes high to low, then by tag (a copy: safe to serve from). */
  inServiceOrder(): QueueEntry<T>[] {
    // A plain copy, not a generator: this runs on every request that ends while others wait.
    const all: QueueEntry<T>[] = [];
    for (const queue of this.#classes) for (const entry of queue.entries) all.push(entry);
    return all;
  }

  /** The entry that would be served last. */
  last(): QueueEntry<T> | undefined {
    for (let rank = this.#classes.length - 1; rank >= 0; rank--) {
      const entries = (this.#classes[rank] as ClassQueue<T>).entries;
      if (entries.length > 0) return entries[entries.length - 1];
    }
    return undefined;
  }

  /** Takes `entry` out to serve it: its class's virtual time advances to its tag. */
  serve(entry: QueueEntry<T>): void {
    if (!this.#take(entry)) return;
    const queue = this.#classes[RANK[entry.priority]] as ClassQueue<T>;
    queue.virtualTime = Math.max(queue.virtualTime, entry.tag);
    this.#forgetIfEmpty(queue);
  }

  /** Takes `entry` out without serving it (cancelled, timed out, displaced). */
  remove(entry: QueueEntry<T>): void {
    if (!this.#take(entry)) return;
    this.#forgetIfEmpty(this.#classes[RANK[entry.priority]] as ClassQueue<T>);
  }

  /** Waiting entries per class, for the status views. */
  sizes(): Record<PriorityClass, number> {
    return Object.fromEntries(
      PRIORITY_CLASSES.map((name, index) => [name, (this.#classes[index] as ClassQueue<T>).entries.length]),
    ) as Record<PriorityClass, number>;
  }

  #take(entry: QueueEntry<T>): boolean {
    const entries = (this.#classes[RANK[entry.priority]] as ClassQueue<T>).entries;
    const index = entries.indexOf(entry);
    if (index < 0) return false;
    entries.splice(index, 1);
    this.#size--;
    return true;
  }

  /** An idle class starts its next busy period afresh, so the flow table never grows without bound. */
  #forgetIfEmpty(queue: ClassQueue<T>): void {
    if (queue.entries.length > 0) return;
    queue.lastTags.clear();
    queue.virtualTime = 0;
  }
}

/** Service order: class rank, then tag, then arrival. */
function compareEntries<T>(a: QueueEntry<T>, b: QueueEntry<T>): number {
  return RANK[a.priority] - RANK[b.priority] || a.tag - b.tag || a.seq - b.seq;
}

function insertSorted<T>(entries: QueueEntry<T>[], entry: QueueEntry<T>): void {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareEntries(entries[middle] as QueueEntry<T>, entry) <= 0) low = middle + 1;
    else high = middle;
  }
  entries.splice(low, 0, entry);
}
