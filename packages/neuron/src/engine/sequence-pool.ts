import { CortexError, SHORT_PROMPT_TOKENS } from "@cortex/core";

/** Prompt tokens left to evaluate that make a request short (a returning agent turn): core's constant. */
export const SHORT_WORK_TOKENS = SHORT_PROMPT_TOKENS;
/** A prompt evaluation yields its sequence to a short waiter only when it has this many times more left. */
const YIELD_RATIO = 4;
/** How often one request yields its sequence at most (each yield costs it a save and a restore). */
const MAX_YIELDS = 2;
/**
 * How often a request lets a short one go first at most, waiting or by yielding its sequence (each yield
 * counts as one): short requests cannot starve a long one.
 */
const MAX_BYPASSED = 8;

interface Waiter<S> {
  tokens: readonly number[];
  /** Prompt tokens left to evaluate once it holds a sequence (estimated when it queued). */
  work: number;
  ticket: number;
  yields: number;
  bypassed: number;
  resolve: (lease: SequenceLease<S>) => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

export interface SequenceLease<S> {
  sequence: S;
  /** How many leading prompt tokens the sequence already holds in its KV cache. */
  reusedTokens: number;
  release: () => void;
  /** Arrival order, kept when the request yields its sequence and queues again. */
  readonly ticket: number;
  /** How often this request has yielded its sequence. */
  readonly yields: number;
  /** How often short requests went first while it waited or by its yields (kept when it yields). */
  readonly bypassed: number;
}

export interface AcquireOptions<S> {
  /**
   * Leading prompt tokens the KV tier can restore (they count as evaluated for the queue's order); asked
   * only when the request has to wait.
   */
  cachedTokens?: () => number;
  /** The lease this request yielded: it queues again with its first arrival's place. */
  resuming?: SequenceLease<S>;
}

/**
 * Hands out a model's context sequences. A request gets a free sequence, preferring the one whose cached
 * history shares the longest prefix with its prompt, so a follow-up turn does not re-evaluate the whole
 * conversation. Requests beyond capacity wait in a bounded queue: first in, first out, except that a
 * short request (little prompt left to evaluate: a returning agent turn) goes ahead of long ones, each
 * long one letting at most MAX_BYPASSED go first; and a long prompt evaluation may yield its sequence
 * to a short waiter between batches (`shouldYield`; the engine saves what it evaluated to the KV tier
 * and resumes from there). Agents' returning turns then do not wait seconds behind other sessions' cold
 * prompts (docs/decisions.md, "Neuron: short turns first").
 */
export class SequencePool<S> {
  readonly #free: S[];
  readonly #all: readonly S[];
  readonly #waiters: Waiter<S>[] = [];
  readonly #tokensOf: (sequence: S) => readonly number[];
  readonly #queueLimit: number;
  #tickets = 0;

  constructor(sequences: S[], tokensOf: (sequence: S) => readonly number[], queueLimit: number) {
    this.#free = [...sequences];
    this.#all = [...sequences];
    this.#tokensOf = tokensOf;
    this.#queueLimit = queueLimit;
  }

  get queued(): number {
    return this.#waiters.length;
  }

  get free(): number {
    return this.#free.length;
  }

  acquire(
    tokens: readonly number[],
    signal: AbortSignal,
    options: AcquireOptions<S> = {},
  ): Promise<SequenceLease<S>> {
    signal.throwIfAborted();
    const resuming = options.resuming;
    const ticket = resuming?.ticket ?? this.#tickets++;
    const yields = resuming ? resuming.yields + 1 : 0;
    // The yield itself let a short request go first.
    const bypassed = resuming ? resuming.bypassed + 1 : 0;
    if (this.#free.length > 0 && this.#waiters.length === 0) {
      return Promise.resolve(this.#take(tokens, ticket, yields, bypassed));
    }
    // A resumed request already had its place: it is not refused for a queue filled behind it.
    if (!resuming && this.#waiters.length >= this.#queueLimit) {
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
        work: this.#work(tokens, options.cachedTokens?.() ?? 0),
        ticket,
        yields,
        bypassed,
        resolve,
        reject,
        cleanup: () => signal.removeEventListener("abort", onAbort),
      };
      signal.addEventListener("abort", onAbort, { once: true });
      // In arrival order: a resumed request goes back before everything that arrived after it.
      let at = this.#waiters.length;
      while (at > 0 && (this.#waiters[at - 1] as Waiter<S>).ticket > ticket) at--;
      this.#waiters.splice(at, 0, waiter);
    });
  }

  /**
   * Whether the holder of `lease`, with `remaining` prompt tokens still to evaluate, should give its
   * sequence to the waiter served next: that waiter is short, the holder has far more left, and the
   * holder has not yielded too often already.
   */
  shouldYield(lease: SequenceLease<S>, remaining: number): boolean {
    // One that has let enough go first keeps its sequence (it may have been served for exactly that).
    if (lease.yields >= MAX_YIELDS || lease.bypassed >= MAX_BYPASSED || remaining <= SHORT_WORK_TOKENS) {
      return false;
    }
    const next = this.#next();
    if (next === undefined) return false;
    const waiter = this.#waiters[next] as Waiter<S>;
    return waiter.work <= SHORT_WORK_TOKENS && remaining >= YIELD_RATIO * waiter.work;
  }

  /** Index of the waiter served next: the first short one unless a long one before it has let enough go. */
  #next(): number | undefined {
    if (this.#waiters.length === 0) return undefined;
    for (let index = 0; index < this.#waiters.length; index++) {
      const waiter = this.#waiters[index] as Waiter<S>;
      if (waiter.work <= SHORT_WORK_TOKENS) return index;
      if (waiter.bypassed >= MAX_BYPASSED) return index;
    }
    return 0;
  }

  /** Prompt tokens left once a sequence is leased: what neither a sequence nor the tier holds. */
  #work(tokens: readonly number[], cachedTokens: number): number {
    let held = cachedTokens;
    for (const sequence of this.#all)
      held = Math.max(held, sharedPrefixLength(this.#tokensOf(sequence), tokens));
    return Math.max(0, tokens.length - held);
  }

  #take(tokens: readonly number[], ticket: number, yields: number, bypassed: number): SequenceLease<S> {
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
      ticket,
      yields,
      bypassed,
      release: () => {
        if (released) return;
        released = true;
        this.#give(sequence);
      },
    };
  }

  #give(sequence: S): void {
    this.#free.push(sequence);
    const index = this.#next();
    if (index === undefined) return;
    for (let before = 0; before < index; before++) (this.#waiters[before] as Waiter<S>).bypassed++;
    const [waiter] = this.#waiters.splice(index, 1) as [Waiter<S>];
    waiter.cleanup();
    waiter.resolve(this.#take(waiter.tokens, waiter.ticket, waiter.yields, waiter.bypassed));
  }
}

export function sharedPrefixLength(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const limit = Math.min(a.length, b.length);
  let index = 0;
  while (index < limit && a[index] === b[index]) index++;
  return index;
}
