import type { ModelCacheReport } from "../engine.js";
import { PrefixReportBuilder } from "../prefix-report.js";
import { sharedPrefixLength } from "../sequence-pool.js";
import { shareBatch } from "../llama-cpp/fair-batch-strategy.js";
import { setTimeout as delay } from "node:timers/promises";
import { abortableDelay } from "./abortable-delay.js";

/** node-llama-cpp's default batch size (docs/node-llama-cpp.md): tokens evaluated per decode call. */
const FAKE_BATCH_SIZE = 512;

interface PendingPrompt {
  left: number;
  readonly signal: AbortSignal;
  readonly yieldNow: (left: number) => boolean;
  /** With the tokens not evaluated: 0 when done, more when it yielded. */
  readonly resolve: (left: number) => void;
  readonly reject: (reason: unknown) => void;
}

/** Which request prefix a sequence or a saved state holds (the fingerprints the gateway routes on). */
export interface FakePrefixMeta {
  head: string;
  last: string;
  promptTokens: number;
}

export interface FakeSequence {
  tokens: number[];
  meta: FakePrefixMeta | null;
}

interface SavedState {
  tokens: number[];
  meta: FakePrefixMeta | null;
}

/**
 * What the real engine's prefix reuse does, as a timing model: a KV tier of `entries` saved sequences
 * (least recently used dropped), a saved state restored when it shares more of the prompt than the
 * sequence does (at `restoreMsPerToken`), and prompt evaluation at `prefillMsPerToken` in decode batches
 * of 512 tokens, one batch at a time per model, each shared between the prompts waiting the way the real
 * engine shares it (`shareBatch`: smallest demands first, so a short prompt is done in the next batch
 * while a long one goes on, and concurrent long prompts slow each other down). It reports
 * the same fingerprints the real engine does, so the gateway's prefix routing can be measured without
 * the minutes real prompts of 8k tokens take on a CPU (docs/benchmarks.md).
 */
export class FakePrefixCache {
  readonly #entries: number;
  readonly #prefillMsPerToken: number;
  readonly #restoreMsPerToken: number;
  readonly #saved: SavedState[] = [];
  /** Sequences by last use, most recent last. */
  readonly #recent: FakeSequence[] = [];
  /** Prompts being evaluated; the batch loop runs while there are any. */
  readonly #pending: PendingPrompt[] = [];
  #hits = 0;
  #misses = 0;

  constructor(options: { entries: number; prefillMsPerToken: number; restoreMsPerToken: number }) {
    this.#entries = options.entries;
    this.#prefillMsPerToken = options.prefillMsPerToken;
    this.#restoreMsPerToken = options.restoreMsPerToken;
  }

  /**
   * Gets a leased sequence ready for `prompt`: saves what it holds when another conversation is about
   * to overwrite it, restores a saved state with a longer shared prefix. Returns the prompt tokens the
   * request does not evaluate.
   */
  async prepare(
    sequence: FakeSequence,
    reused: number,
    prompt: readonly number[],
    chain: readonly string[],
    signal: AbortSignal,
  ): Promise<number> {
    const limit = Math.max(0, prompt.length - 1);
    let kept = Math.min(reused, limit);
    if (this.#entries > 0) {
      const continuation = sequence.meta !== null && chain.includes(sequence.meta.last);
      const match = this.#lookup(prompt);
      const restore = match !== null && Math.min(match.shared, limit) > kept;
      // The state handed over leaves the tier before what the sequence held is saved in its place.
      if (restore) this.#saved.splice(this.#saved.indexOf(match.state), 1);
      if (!continuation && sequence.tokens.length > kept) this.#save(sequence);
      if (restore) {
        await abortableDelay(match.shared * this.#restoreMsPerToken, signal);
        kept = Math.min(match.shared, limit);
        this.#hits++;
      } else if (prompt.length - kept > 0 && this.#saved.length > 0) {
        this.#misses++;
      }
    }
    const [head] = chain;
    const last = chain.at(-1);
    sequence.meta =
      head !== undefined && last !== undefined ? { head, last, promptTokens: prompt.length } : null;
    const index = this.#recent.indexOf(sequence);
    if (index >= 0) this.#recent.splice(index, 1);
    this.#recent.push(sequence);
    return kept;
  }

  /**
   * Evaluates `tokens` prompt tokens, in batches shared with the other prompts being evaluated. Between
   * batches `yieldNow(left)` may stop it early (the real engine's yield to a short waiter); resolves with
   * the tokens left unevaluated.
   */
  async prefill(
    tokens: number,
    signal: AbortSignal,
    yieldNow: (left: number) => boolean = () => false,
  ): Promise<number> {
    if (tokens * this.#prefillMsPerToken <= 0) return 0;
    signal.throwIfAborted();
    return new Promise<number>((resolve, reject) => {
      this.#pending.push({ left: tokens, signal, yieldNow, resolve, reject });
      if (this.#pending.length === 1) void this.#runBatches();
    });
  }

  /** Whether it keeps saved states (a yielded evaluation resumes from one). */
  get tiered(): boolean {
    return this.#entries > 0;
  }

  /** Leading prompt tokens a saved state could restore (what a waiting request need not evaluate). */
  tierShared(prompt: readonly number[]): number {
    return this.#entries > 0 ? (this.#lookup(prompt)?.shared ?? 0) : 0;
  }

  /**
   * A prompt evaluation stopped after `prompt`'s first `evaluated` tokens (it yielded `sequence`, or its
   * client left): that is what the sequence holds (saved by the next request's `prepare`), under no
   * conversation's fingerprint.
   */
  partial(sequence: FakeSequence, prompt: readonly number[], evaluated: number): void {
    sequence.tokens = prompt.slice(0, evaluated);
    sequence.meta = null;
  }

  /** One batch at a time while prompts wait: each gets its share, the batch takes its tokens' time. */
  async #runBatches(): Promise<void> {
    while (this.#pending.length > 0) {
      // A prompt whose client left goes now, not after a batch spent on it (it holds a sequence).
      for (const prompt of this.#pending.filter((waiting) => waiting.signal.aborted)) {
        this.#pending.splice(this.#pending.indexOf(prompt), 1);
        prompt.reject(prompt.signal.reason);
      }
      if (this.#pending.length === 0) break;
      const batch = [...this.#pending];
      const shares = shareBatch(
        batch.map((prompt) => prompt.left),
        FAKE_BATCH_SIZE,
      );
      const size = shares.reduce((sum, share) => sum + share, 0);
      // A batch, once started, runs to its end (a decode call is not interruptible either).
      await delay(size * this.#prefillMsPerToken);
      batch.forEach((prompt, index) => {
        prompt.left -= shares[index] ?? 0;
        const done = prompt.left <= 0 || prompt.signal.aborted || prompt.yieldNow(prompt.left);
        if (!done) return;
        this.#pending.splice(this.#pending.indexOf(prompt), 1);
        if (prompt.signal.aborted) prompt.reject(prompt.signal.reason);
        else prompt.resolve(Math.max(0, prompt.left));
      });
    }
  }

  report(): ModelCacheReport {
    const builder = new PrefixReportBuilder();
    const holders = [
      ...[...this.#recent].reverse().map((s) => ({ meta: s.meta, where: "sequence" as const })),
      ...[...this.#saved].reverse().map((s) => ({ meta: s.meta, where: "ram" as const })),
    ];
    for (const { meta, where } of holders) if (meta) builder.add(meta.last, meta.promptTokens, where);
    const prefill_tokens_per_s = this.#prefillMsPerToken > 0 ? 1000 / this.#prefillMsPerToken : null;
    const prefixes = builder.build();
    if (this.#entries === 0) return { prefixes, prefill_tokens_per_s };
    const lookups = this.#hits + this.#misses;
    return {
      prefixes,
      prefill_tokens_per_s,
      kv_cache: {
        entries: this.#saved.length,
        // A fake state has no bytes; the entries are what the timing model needs.
        ram_bytes: 0,
        disk_bytes: 0,
        hits: this.#hits,
        misses: this.#misses,
        hit_ratio: lookups === 0 ? null : this.#hits / lookups,
      },
    };
  }

  #save(sequence: FakeSequence): void {
    // A longer state of the same conversation replaces the ones it extends.
    for (let i = this.#saved.length - 1; i >= 0; i--) {
      const state = this.#saved[i] as SavedState;
      if (sharedPrefixLength(state.tokens, sequence.tokens) === state.tokens.length) this.#saved.splice(i, 1);
    }
    this.#saved.push({ tokens: [...sequence.tokens], meta: sequence.meta });
    if (this.#saved.length > this.#entries) this.#saved.shift();
  }

  #lookup(prompt: readonly number[]): { state: SavedState; shared: number } | null {
    let best: { state: SavedState; shared: number } | null = null;
    for (const state of this.#saved) {
      const shared = sharedPrefixLength(state.tokens, prompt);
      if (shared > 0 && (best === null || shared > best.shared)) best = { state, shared };
    }
    return best;
  }
}
