import type { LlamaContext, LlamaContextSequence } from "node-llama-cpp";

type DecodeTokens = (batch: { sequenceId?: unknown }, ...rest: unknown[]) => Promise<unknown>;

/**
 * Lets a sequence's KV-cache erase run while other sequences are generating.
 *
 * node-llama-cpp 3.21.1's batch loop holds the context lock for as long as a decode is queued when a
 * batch ends, and with two or more sequences generating one always is: the loop only lets go when all
 * but one have finished. Erasing a sequence's cache takes that lock, and reusing a sequence that holds
 * another conversation (or the end of this one, which the chat template renders differently) needs an
 * erase, so a request arriving during two generations waited for them to end (TTFT of 10 s instead of
 * 1 s on a small model). While an erase waits, the gate holds new decodes back, the loop drains within
 * a batch or two, the erase gets the lock, and the held decodes go on.
 *
 * `LlamaContext._decodeTokens` is internal: every sequence's decode goes through it. node-llama-cpp is
 * pinned to exactly 3.21.1, and a test checks that the gate holds and releases decodes on the real engine.
 */
export class DecodeGate {
  /** Sequences being prepared: their own decodes pass (an erase may re-evaluate what it keeps). */
  readonly #preparing = new Map<number, number>();
  readonly #held: (() => void)[] = [];

  constructor(context: LlamaContext) {
    const target = context as unknown as { _decodeTokens?: DecodeTokens };
    const decode = target._decodeTokens;
    if (typeof decode !== "function") {
      throw new Error("node-llama-cpp has no LlamaContext._decodeTokens: DecodeGate needs version 3.21.1");
    }
    target._decodeTokens = (batch, ...rest) => {
      const pass = this.#preparing.size === 0 || this.#preparing.has(batch.sequenceId as number);
      if (pass) return decode.call(context, batch, ...rest);
      return new Promise<void>((resolve) => this.#held.push(resolve)).then(() =>
        decode.call(context, batch, ...rest),
      );
    };
  }

  /** Decodes held back right now (for tests and metrics). */
  get held(): number {
    return this.#held.length;
  }

  /**
   * Runs `work` on `sequence` (work that needs the context lock) with other sequences' new
   * decodes held back until it is done.
   */
  async exclusive<T>(sequence: LlamaContextSequence, work: () => Promise<T>): Promise<T> {
    const sequenceId = sequenceIdOf(sequence);
    this.#preparing.set(sequenceId, (this.#preparing.get(sequenceId) ?? 0) + 1);
    try {
      return await work();
    } finally {
      const left = (this.#preparing.get(sequenceId) ?? 1) - 1;
      if (left > 0) this.#preparing.set(sequenceId, left);
      else this.#preparing.delete(sequenceId);
      if (this.#preparing.size === 0) for (const release of this.#held.splice(0)) release();
    }
  }
}

/** Internal as well (the id the decode batches carry); see the class comment. */
function sequenceIdOf(sequence: LlamaContextSequence): number {
  const id = (sequence as unknown as { _sequenceId?: unknown })._sequenceId;
  if (typeof id !== "number")
    throw new Error("node-llama-cpp sequence without _sequenceId: DecodeGate needs 3.21.1");
  return id;
}
