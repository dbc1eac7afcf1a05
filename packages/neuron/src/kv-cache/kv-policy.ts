/**
 * When saving and restoring sequence states pays, as pure functions of what the sequence pool and the
 * tier know. The numbers come from the tier's `min_tokens` and from throughput the model measured.
 */

export interface SaveQuestion {
  /** Tokens the sequence holds now. */
  held: number;
  /** Tokens of it the next request keeps (0 when a restore replaces the sequence's state). */
  kept: number;
  minTokens: number;
  /** The next request continues the conversation the sequence holds (its chain contains the sequence's). */
  continuation: boolean;
  /** The tier already holds these tokens or a longer state starting with them. */
  covered: boolean;
}

/**
 * Save a sequence's state before it is reused when enough of it would be lost: not when the same
 * conversation simply goes on (what it drops is the end of the last answer, which the next turn renders
 * differently anyway), and not for states shorter than `minTokens`.
 */
export function shouldSaveBeforeReuse(question: SaveQuestion): boolean {
  const { held, kept, minTokens } = question;
  if (question.continuation || question.covered) return false;
  return held >= minTokens && held - kept >= minTokens;
}

export interface RestoreQuestion {
  /** Prompt tokens a restore spares beyond what the free sequence already holds. */
  gainTokens: number;
  /** Size of the saved state (all of it is loaded, then trimmed to the shared prefix). */
  stateBytes: number;
  minTokens: number;
  /** Measured prompt evaluation speed of this model; null before the first measurement. */
  prefillTokensPerMs: number | null;
  /** Measured restore speed; null before the first restore. */
  restoreBytesPerMs: number | null;
}

/**
 * Restore when it beats evaluating the same tokens again. Until both speeds are measured a restore of
 * at least `minTokens` is assumed to win: loading a state is two memory copies against a forward pass
 * per token, and the first restore measures the real speed.
 */
export function restoreBeatsPrefill(question: RestoreQuestion): boolean {
  const { gainTokens, stateBytes, minTokens, prefillTokensPerMs, restoreBytesPerMs } = question;
  if (gainTokens < minTokens) return false;
  if (prefillTokensPerMs === null || restoreBytesPerMs === null) return true;
  return stateBytes / restoreBytesPerMs < gainTokens / prefillTokensPerMs;
}

/**
 * A rate (amount per millisecond) as the median of the last few observations: one stall of a busy
 * machine (a restore descheduled for 200 ms) must not decide the next hundred requests.
 */
export class RateEstimate {
  readonly #samples: number[] = [];
  readonly #keep: number;

  constructor(keep = 5) {
    this.#keep = keep;
  }

  get value(): number | null {
    if (this.#samples.length === 0) return null;
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1
      ? (sorted[middle] ?? null)
      : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  }

  observe(amount: number, ms: number): void {
    if (!(amount > 0) || !(ms > 0)) return;
    this.#samples.push(amount / ms);
    if (this.#samples.length > this.#keep) this.#samples.shift();
  }
}

/**
 * After this many restores in a row declined on speed, one is made anyway: the estimate it rests on may
 * be stale (measured while the machine was busy), and only a restore measures it again.
 */
export const RESTORE_RETRY_AFTER = 4;
