import { CortexError } from "@cortex/core";

interface Waiter<S> {
  tokens: readonly number[];
  resolve: (lease: SequenceLease<S>) => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

export interface SequenceLease<S> {
  sequence: S;
  /** How many leading prompt tokens the sequence already holds in its KV cache. */
  reusedTokens: number;
  release: () => void;
}

/**
 * Hands out a model's context sequences. A request gets a free sequence, preferring the one whose cached
 * history shares the longest prefix with its prompt, so a follow-up turn does not re-evaluate the whole
 * conversation. Requests beyond capacity wait in a bounded FIFO queue.
 */
export class SequencePool<S> {
  readonly #free: S[];
  readonly #waiters: Waiter<S>[] = [];
  readonly #tokensOf: (sequence: S) => readonly number[];
  readonly #queueLimit: number;

  constructor(sequences: S[], tokensOf: (sequence: S) => readonly number[], queueLimit: number) {
    this.#free = [...sequences];
    this.#tokensOf = tokensOf;
    this.#queueLimit = queueLimit;
  }

  get queued(): number {
    return this.#waiters.length;
  }

  get free(): number {
    return this.#free.length;
  }

  acquire(tokens: readonly number[], signal: AbortSignal): Promise<SequenceLease<S>> {
    signal.throwIfAborted();
    if (this.#free.length > 0 && this.#waiters.length === 0) return Promise.resolve(this.#take(tokens));
    if (this.#waiters.length >= this.#queueLimit) {
      return Promise.reject(
        new CortexError("queue_full", `all sequences busy and ${this.#queueLimit} requests already queued`, {
          retryAfter: 1,
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(signal.reason);
      };
      const waiter: Waiter<S> = {
        tokens,
        resolve,
        reject,
        cleanup: () => signal.removeEventListener("abort", onAbort),
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #take(tokens: readonly number[]): SequenceLease<S> {
    let best = 0;
    let bestShared = -1;
    this.#free.forEach((sequence, index) => {
      const shared = sharedPrefixLength(this.#tokensOf(sequence), tokens);
      if (shared > bestShared) {
        best = index;
        bestShared = shared;
      }
    });
    const [sequence] = this.#free.splice(best, 1) as [S];
    let released = false;
    return {
      sequence,
      reusedTokens: Math.max(0, bestShared),
      release: () => {
        if (released) return;
        released = true;
        this.#give(sequence);
      },
    };
  }

  #give(sequence: S): void {
    this.#free.push(sequence);
    const waiter = this.#waiters.shift();
    if (!waiter) return;
    waiter.cleanup();
    waiter.resolve(this.#take(waiter.tokens));
  }
}

export function sharedPrefixLength(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const limit = Math.min(a.length, b.length);
  let index = 0;
  while (index < limit && a[index] === b[index]) index++;
  return index;
}
