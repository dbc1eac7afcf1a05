import type { KvCacheReport, PrefixLocation, PrefixReport } from "@cortex/core";
import type { LlamaContextSequence } from "node-llama-cpp";
import {
  RESTORE_RETRY_AFTER,
  RateEstimate,
  restoreBeatsPrefill,
  shouldSaveBeforeReuse,
} from "../../kv-cache/kv-policy.js";
import type { ModelStates, PrefixMeta, StateMatch } from "../../kv-cache/kv-tier.js";
import { PrefixReportBuilder } from "../prefix-report.js";
import type { SequenceLease } from "../sequence-pool.js";
import type { DecodeGate } from "./decode-gate.js";

/** A request's prefix chain (core `prefixFingerprints`) and its prompt length; null for raw completions. */
export interface PromptIdentity {
  chain: readonly string[];
  promptTokens: number;
}

/**
 * `auto`: restore a saved state when that is measured to beat evaluating the same tokens; `always`:
 * whenever it spares at least `min_tokens` (kv_cache.restore).
 */
export type RestorePolicy = "auto" | "always";

/** What a request found: prompt tokens it does not evaluate, and what the tier did for it. */
export interface PreparedSequence {
  /** Prompt tokens the sequence holds and the request does not evaluate (at most the prompt's length − 1). */
  reusedTokens: number;
  restore?: { from: "ram" | "disk"; ms: number; tokens: number };
}

const HEAD_CACHE_LIMIT = 256;

/**
 * Gets a pooled sequence ready for a prompt: saves what it holds to the KV tier when that is about to be
 * lost, restores a saved state with a longer shared prefix when that beats evaluating it again, and
 * drops what the prompt does not share. Every step that needs node-llama-cpp's context lock runs through
 * the decode gate, so it does not wait for other sequences' generations to end. Also the one place that
 * knows which request prefix each sequence and saved state holds, for the fingerprints the gateway
 * routes on.
 */
export class PrefixReuse {
  readonly #gate: DecodeGate;
  readonly #states: ModelStates | undefined;
  readonly #held = new Map<LlamaContextSequence, PrefixMeta | null>();
  /** Sequences by last use, most recent last. */
  readonly #recent: LlamaContextSequence[] = [];
  readonly #headTokens = new Map<string, number>();
  readonly #prefill = new RateEstimate();
  readonly #restore = { ram: new RateEstimate(), disk: new RateEstimate() };
  readonly #policy: RestorePolicy;
  /** Restores declined on speed since the last one made. */
  #declined = 0;

  readonly #debug: (message: string) => void;

  constructor(
    gate: DecodeGate,
    states: ModelStates | undefined,
    options: { policy?: RestorePolicy; debug?: (message: string) => void } = {},
  ) {
    this.#gate = gate;
    this.#states = states;
    this.#policy = options.policy ?? "auto";
    this.#debug = options.debug ?? (() => {});
  }

  async prepare(
    lease: SequenceLease<LlamaContextSequence>,
    prompt: readonly number[],
    identity: PromptIdentity | null,
  ): Promise<PreparedSequence> {
    const sequence = lease.sequence;
    // One prompt token is always left to evaluate: the generator needs a decode to get logits from.
    const limit = prompt.length - 1;
    let keep = Math.max(0, Math.min(lease.reusedTokens, limit));
    let restored: PreparedSequence["restore"];
    const states = this.#states;
    if (states) {
      const held = sequence.contextTokens;
      const heldMeta = this.#held.get(sequence) ?? null;
      const wanted = limit - keep >= states.minTokens;
      const match = wanted ? states.lookup(prompt) : null;
      const restore = match !== null && this.#restoreWins(match, Math.min(match.shared, limit) - keep);
      const save = shouldSaveBeforeReuse({
        held: held.length,
        kept: restore ? 0 : keep,
        minTokens: states.minTokens,
        continuation: heldMeta !== null && identity !== null && identity.chain.includes(heldMeta.last),
        covered: held.length > 0 && states.covers(held),
      });
      if (save) {
        await this.#gate.exclusive(sequence, () =>
          states.save(held, heldMeta, async (path) => {
            await sequence.saveStateToFile(path);
          }),
        );
      }
      if (restore) {
        // A state still being written (another request just took its sequence) is waited for before
        // the gate, which holds other sequences' decodes back.
        await states.settled(match);
        const outcome = await this.#gate.exclusive(sequence, () =>
          states.restore(match, async (path) => {
            await sequence.loadStateFromFile(path, { acceptRisk: true });
            return sequence.contextTokens;
          }),
        );
        states.recordLookup(outcome.ok);
        if (outcome.ok) {
          this.#restore[outcome.from].observe(outcome.bytes, outcome.ms);
          keep = Math.min(match.shared, limit);
          restored = { from: outcome.from, ms: outcome.ms, tokens: keep };
        } else if (outcome.dirty) {
          // llama.cpp may hold part of a state that failed its checks: start from nothing.
          keep = 0;
        }
      } else if (wanted) {
        states.recordLookup(false);
      }
      this.#debug(
        `kv cache ${states.model}: sequence held ${held.length} tokens, prompt ${prompt.length} shares ` +
          `${lease.reusedTokens}; saved: ${save}; tier match ${match ? `${match.shared} (${match.where})` : "none"}; ` +
          `restored: ${restored ? `${restored.tokens} in ${restored.ms.toFixed(1)} ms` : restore ? "failed" : "no"}`,
      );
    }
    if (sequence.nextTokenIndex > keep) {
      await this.#gate.exclusive(sequence, () =>
        sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]),
      );
    }
    this.#use(sequence, identity);
    // What the prompt does not evaluate is what usage reports cached: a prompt the sequence holds whole
    // still has its last token evaluated, which is not a cache read (docs/decisions.md).
    return { reusedTokens: keep, ...(restored ? { restore: restored } : {}) };
  }

  #restoreWins(match: StateMatch, gainTokens: number): boolean {
    const minTokens = this.#states?.minTokens ?? Number.POSITIVE_INFINITY;
    if (gainTokens < minTokens) return false;
    if (this.#policy === "always") return true;
    const wins = restoreBeatsPrefill({
      gainTokens,
      stateBytes: match.stateBytes,
      minTokens,
      prefillTokensPerMs: this.#prefill.value,
      restoreBytesPerMs: this.#restore[match.where].value,
    });
    if (wins || ++this.#declined > RESTORE_RETRY_AFTER) {
      this.#declined = 0;
      return true;
    }
    return false;
  }

  /** Whether saved states back this model: a prompt evaluation that yields its sequence resumes from one. */
  get tiered(): boolean {
    return this.#states !== undefined;
  }

  /** Leading prompt tokens a saved state could restore (for the sequence queue's order). */
  tierShared(prompt: readonly number[]): number {
    return this.#states?.lookup(prompt)?.shared ?? 0;
  }

  /**
   * A prompt evaluation stopped half way (it yielded the sequence, or its client left): `sequence` holds
   * part of a prompt, under no conversation's fingerprint (the next request's `prepare` saves it, for a
   * yielder to resume from).
   */
  partial(sequence: LlamaContextSequence): void {
    this.#held.set(sequence, null);
  }

  /** Prompt evaluation speed of one request (tokens evaluated until its first generated token). */
  observePrefill(tokens: number, ms: number): void {
    if (tokens >= 64) this.#prefill.observe(tokens, ms);
  }

  /** Whether the tokens of this head (tools + leading system message) are known yet. */
  knowsHead(head: string): boolean {
    return this.#headTokens.has(head);
  }

  noteHead(head: string, tokens: number): void {
    this.#headTokens.delete(head);
    this.#headTokens.set(head, tokens);
    if (this.#headTokens.size > HEAD_CACHE_LIMIT) {
      const oldest = this.#headTokens.keys().next().value;
      if (oldest !== undefined) this.#headTokens.delete(oldest);
    }
  }

  report(): { kv_cache?: KvCacheReport; prefixes: PrefixReport; prefill_tokens_per_s: number | null } {
    const builder = new PrefixReportBuilder();
    const add = builder.add.bind(builder);
    const holders: { meta: PrefixMeta; where: PrefixLocation }[] = [];
    for (const sequence of [...this.#recent].reverse()) {
      const meta = this.#held.get(sequence);
      if (meta) holders.push({ meta, where: "sequence" });
    }
    for (const entry of this.#states?.entries() ?? []) {
      if (entry.meta) holders.push({ meta: entry.meta, where: entry.where });
    }
    // Conversations first (they are what a returning turn needs), then the heads they share.
    for (const { meta, where } of holders) add(meta.last, meta.promptTokens, where);
    for (const { meta, where } of holders) {
      const tokens = this.#headTokens.get(meta.head);
      if (tokens !== undefined) add(meta.head, tokens, where);
    }
    const prefixes = builder.build();
    const perMs = this.#prefill.value;
    const prefill_tokens_per_s = perMs === null ? null : perMs * 1000;
    const states = this.#states;
    if (!states) return { prefixes, prefill_tokens_per_s };
    let ram = 0;
    let disk = 0;
    for (const entry of states.entries()) {
      if (entry.where === "ram") ram += entry.bytes;
      else disk += entry.bytes;
    }
    const lookups = states.hits + states.misses;
    return {
      prefixes,
      prefill_tokens_per_s,
      kv_cache: {
        entries: states.entries().length,
        ram_bytes: ram,
        disk_bytes: disk,
        hits: states.hits,
        misses: states.misses,
        hit_ratio: lookups === 0 ? null : states.hits / lookups,
      },
    };
  }

  /** The model is unloading: its saved states go with it. */
  drop(): void {
    this.#states?.drop();
  }

  #use(sequence: LlamaContextSequence, identity: PromptIdentity | null): void {
    const [head] = identity?.chain ?? [];
    const last = identity?.chain.at(-1);
    this.#held.set(
      sequence,
      identity && head !== undefined && last !== undefined
        ? { head, last, promptTokens: identity.promptTokens }
        : null,
    );
    const index = this.#recent.indexOf(sequence);
    if (index >= 0) this.#recent.splice(index, 1);
    this.#recent.push(sequence);
  }
}
