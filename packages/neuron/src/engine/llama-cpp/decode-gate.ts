import type { LlamaContextSequence } from "node-llama-cpp";

/** The part of a decode request the gate reads (node-llama-cpp's internal `_decodeTokens` argument). */
interface DecodeBatch {
  readonly sequenceId?: unknown;
  readonly tokens?: { readonly length: number };
}

type DecodeTokens = (batch: DecodeBatch, ...rest: unknown[]) => Promise<unknown>;

/** What the gate reads of a LlamaContext besides its internal decode entry point. */
export interface GatedContext {
  readonly batchSize: number;
}

/**
 * Lets a sequence's KV-cache erase run while other sequences are generating.
 *
 * node-llama-cpp 3.21.1's batch loop holds the context lock for as long as a decode is queued when a
 * batch ends, and with two or more sequences generating one always is: the loop only lets go when all
 * but one have finished. Erasing a sequence's cache takes that lock, and reusing a sequence that holds
 * another conversation (or the end of this one, which the chat template renders differently) needs an
 * erase, so a request arriving during two generations waited for them to end (TTFT of 10 s instead of
 * 1 s on a small model). While an erase waits, the gate holds other sequences' new decodes back, the loop
 * drains within a batch or two, the erase gets the lock, and the held decodes go on.
 *
 * Two exceptions keep the gate from stalling streams for nothing:
 * - while another sequence's decode longer than a batch (a prompt) is in flight, the loop keeps the lock
 *   until that prompt is evaluated whatever the gate does, so nothing is held until it is done;
 * - the preparing sequence's own first decode means its erase is past the lock (what is left is
 *   re-evaluating what it kept), so the hold ends there.
 *
 * `LlamaContext._decodeTokens` is internal: every sequence's decode goes through it. node-llama-cpp is
 * pinned to exactly 3.21.1; unit tests pin the gate's rules, and parallel-arrival.test.ts shows the
 * effect on the real engine.
 */
export class DecodeGate {
  readonly #context: GatedContext;
  /** Sequences whose erase is waiting for the lock. */
  readonly #preparing = new Set<number>();
  /** Decodes in flight that span more than one batch. */
  #longDecodes = 0;
  readonly #held: (() => void)[] = [];

  constructor(context: GatedContext) {
    this.#context = context;
    const target = context as unknown as { _decodeTokens?: DecodeTokens };
    const decode = target._decodeTokens;
    if (typeof decode !== "function") {
      throw new Error("node-llama-cpp has no LlamaContext._decodeTokens: DecodeGate needs version 3.21.1");
    }
    target._decodeTokens = (batch, ...rest) => {
      const run = (): Promise<unknown> => this.#run(decode, batch, rest);
      if (this.#preparing.delete(batch.sequenceId as number)) {
        this.#releaseIfIdle();
        return run();
      }
      if (this.#preparing.size === 0 || this.#longDecodes > 0) return run();
      return new Promise<void>((resolve) => this.#held.push(resolve)).then(run);
    };
  }

  /**
   * Runs `work` on `sequence` (an erase, which needs the context lock) with other sequences' new decodes
   * held back until it is done.
   */
  async exclusive<T>(sequence: LlamaContextSequence, work: () => Promise<T>): Promise<T> {
    const sequenceId = sequenceIdOf(sequence);
    this.#preparing.add(sequenceId);
    try {
      return await work();
    } finally {
      this.#preparing.delete(sequenceId);
      this.#releaseIfIdle();
    }
  }

  async #run(decode: DecodeTokens, batch: DecodeBatch, rest: unknown[]): Promise<unknown> {
    const long = (batch.tokens?.length ?? 0) > this.#context.batchSize;
    if (long) this.#longDecodes++;
    try {
      return await decode.call(this.#context, batch, ...rest);
    } finally {
      if (long) this.#longDecodes--;
    }
  }

  #releaseIfIdle(): void {
    if (this.#preparing.size === 0) for (const release of this.#held.splice(0)) release();
  }
}

/** Internal as well (the id the decode batches carry); see the class comment. */
function sequenceIdOf(sequence: LlamaContextSequence): number {
  const id = (sequence as unknown as { _sequenceId?: unknown })._sequenceId;
  if (typeof id !== "number")
    throw new Error("node-llama-cpp sequence without _sequenceId: DecodeGate needs 3.21.1");
  return id;
}
