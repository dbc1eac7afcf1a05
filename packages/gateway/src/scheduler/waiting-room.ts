import { CortexError, PRIORITY_CLASSES, type PriorityClass } from "@cortex/core";
import type { Cancellation } from "../cancellation.js";
import { FairQueue, type QueueEntry } from "../routing/fair-queue.js";
import type { RequestPrefix } from "../routing/route-candidates.js";
import type { RouteReason } from "../routing/route-score.js";

/** One request waiting for a sequence of its model (or for the model to load). */
export interface Waiter {
  readonly modelId: string;
  readonly requestId: string;
  readonly exclude: ReadonlySet<string> | undefined;
  /** False once a node refused to queue it after a jump (RouteContext.mayJump). */
  readonly mayJump: boolean;
  readonly enqueuedAt: number;
  /** The request's prompt identity, computed once when first needed. */
  prefix(): RequestPrefix | null;
  /** A cold load is running on this request's behalf. */
  loading: boolean;
  /** A copy went idle while that load was being planned: plan again if it says to wait for a swap. */
  replan: boolean;
  /** Why its model cannot load until busy models are served (a swap it waits for); null otherwise. */
  swapWait: string | null;
  /** When the cold load it waits for started (ms); null when none is running for it. */
  loadSince: number | null;
  coldLoadMs: number;
  /** Ended once the wait is over (served or failed). */
  readonly over: Cancellation;
  /** Settles the request's wait: the node it was leased, or why it will not get one. */
  settle(outcome: { node: string; reason: RouteReason; jumped?: true } | { error: unknown }): void;
}

export interface WaitingStats {
  readonly waiting: number;
  readonly oldestWaitMs: number;
  readonly byClass: Readonly<Record<PriorityClass, number>>;
}

/**
 * The requests of this gateway waiting per model, each model a fair priority queue. The router owns
 * it and decides who goes where (`Router.pump`); this only keeps the order, the bounds and the clean-up
 * (deadline, client gone).
 */
export class WaitingRoom {
  readonly #queues = new Map<string, FairQueue<Waiter>>();
  readonly #cleanups = new Map<Waiter, () => void>();
  /** Per model: waiters that may not use some node (failover), the only ones routing must look at one by one. */
  readonly #excluding = new Map<string, number>();

  /**
   * Queues `waiter`, or throws `queue_full` when `limit` wait already and it would be served last. A
   * waiter it displaces (served last, e.g. a low-priority request when a high one arrives) gets
   * `queue_full` now.
   */
  admit(
    waiter: Waiter,
    placement: { priority: PriorityClass; flow: string; limit: number },
    guards: { cancel: Cancellation; deadlineMs: number; onDeadline: () => CortexError },
  ): void {
    let queue = this.#queues.get(waiter.modelId);
    if (!queue) {
      queue = new FairQueue();
      this.#queues.set(waiter.modelId, queue);
    }
    const pushed = queue.push(waiter, placement.priority, placement.flow, placement.limit);
    if (!pushed.queued) {
      throw new CortexError(
        "queue_full",
        `${queue.size} requests are already waiting for ${waiter.modelId}`,
        { retryAfter: 5 },
      );
    }
    if (excludes(waiter)) this.#excluding.set(waiter.modelId, this.excluding(waiter.modelId) + 1);
    if (pushed.displaced) {
      const displaced = pushed.displaced.item;
      this.#drop(pushed.displaced, false);
      displaced.settle({
        error: new CortexError(
          "queue_full",
          `${queue.size} requests are waiting for ${waiter.modelId}; this one gave its place to a request served before it`,
          { retryAfter: 5 },
        ),
      });
    }
    const entry = pushed.entry;
    const timer = setTimeout(() => {
      this.#drop(entry, false);
      waiter.settle({ error: guards.onDeadline() });
    }, guards.deadlineMs);
    const onAbort = (): void => {
      this.#drop(entry, false);
      waiter.settle({ error: guards.cancel.reason });
    };
    // The client's Cancellation, not its AbortSignal: making the signal costs what routing does.
    guards.cancel.once("abort", onAbort);
    this.#cleanups.set(waiter, () => {
      clearTimeout(timer);
      guards.cancel.removeListener("abort", onAbort);
    });
  }

  /** Waiting entries of one model in service order (a copy: the caller may serve some while iterating). */
  entries(modelId: string): QueueEntry<Waiter>[] {
    const queue = this.#queues.get(modelId);
    return queue ? queue.inServiceOrder() : [];
  }

  /** Takes a waiter out to serve it (the caller settles it). */
  serve(entry: QueueEntry<Waiter>): void {
    this.#drop(entry, true);
  }

  /** Takes a waiter out because it failed (the caller settles it). */
  remove(entry: QueueEntry<Waiter>): void {
    this.#drop(entry, false);
  }

  /** Waiting requests of `modelId` that already failed on some node and may not go there again. */
  excluding(modelId: string): number {
    return this.#excluding.get(modelId) ?? 0;
  }

  size(modelId: string): number {
    return this.#queues.get(modelId)?.size ?? 0;
  }

  /** Whether a request of a class above `priority` waits for `modelId` (it must not be overtaken). */
  higherWaiting(modelId: string, priority: PriorityClass): boolean {
    const sizes = this.#queues.get(modelId)?.sizes();
    if (!sizes) return false;
    for (const name of PRIORITY_CLASSES) {
      if (name === priority) return false;
      if (sizes[name] > 0) return true;
    }
    return false;
  }

  models(): string[] {
    return [...this.#queues.keys()];
  }

  stats(modelId: string, now: number): WaitingStats | undefined {
    const queue = this.#queues.get(modelId);
    if (!queue || queue.size === 0) return undefined;
    let oldest = now;
    for (const entry of queue.inServiceOrder()) oldest = Math.min(oldest, entry.item.enqueuedAt);
    return { waiting: queue.size, oldestWaitMs: now - oldest, byClass: queue.sizes() };
  }

  #drop(entry: QueueEntry<Waiter>, served: boolean): void {
    const queue = this.#queues.get(entry.item.modelId);
    if (!queue) return;
    if (served) queue.serve(entry);
    else queue.remove(entry);
    const cleanup = this.#cleanups.get(entry.item);
    // Dropped once: a second drop (served after its deadline fired, say) changes nothing.
    if (cleanup !== undefined) {
      cleanup();
      this.#cleanups.delete(entry.item);
      if (excludes(entry.item)) {
        const left = this.excluding(entry.item.modelId) - 1;
        if (left > 0) this.#excluding.set(entry.item.modelId, left);
        else this.#excluding.delete(entry.item.modelId);
      }
    }
    // An empty queue goes: the map holds only models someone waits for.
    if (queue.size === 0) this.#queues.delete(entry.item.modelId);
  }
}

function excludes(waiter: Waiter): boolean {
  return waiter.exclude !== undefined && waiter.exclude.size > 0;
}
