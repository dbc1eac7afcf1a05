/**
 * Streams generated text while watching for stop sequences, like node-llama-cpp's custom stop triggers:
 * text that might be the start of a stop sequence is held back, and a matched sequence is never streamed
 * nor part of the final text.
 */
export class StopSequenceFilter {
  readonly #stops: readonly string[];
  readonly #emit: (text: string) => void;
  #full = "";
  #sent = 0;
  #stopped: { at: number; sequence: string } | undefined;

  constructor(stops: readonly string[], emit: (text: string) => void) {
    this.#stops = stops.filter((stop) => stop !== "");
    this.#emit = emit;
  }

  /** The text as the client should see it: up to, not including, a matched stop sequence. */
  get text(): string {
    return this.#stopped ? this.#full.slice(0, this.#stopped.at) : this.#full;
  }

  /** Adds one token's text; returns the stop sequence it completed, if any. */
  push(piece: string): string | undefined {
    if (this.#stopped) return this.#stopped.sequence;
    this.#full += piece;
    const match = this.#earliestStop();
    if (match) {
      this.#stopped = match;
      this.#send(match.at);
      return match.sequence;
    }
    this.#send(this.#full.length - this.#heldBack());
    return undefined;
  }

  /** Generation ended without a stop sequence: whatever was held back is plain text after all. */
  flush(): void {
    if (!this.#stopped) this.#send(this.#full.length);
  }

  #send(until: number): void {
    if (until <= this.#sent) return;
    this.#emit(this.#full.slice(this.#sent, until));
    this.#sent = until;
  }

  #earliestStop(): { at: number; sequence: string } | undefined {
    let best: { at: number; sequence: string } | undefined;
    for (const sequence of this.#stops) {
      const at = this.#full.indexOf(sequence, Math.max(0, this.#sent - sequence.length));
      if (at >= 0 && (!best || at < best.at)) best = { at, sequence };
    }
    return best;
  }

  /** Length of the longest tail of the text that could still grow into a stop sequence. */
  #heldBack(): number {
    let held = 0;
    for (const sequence of this.#stops) {
      for (let length = Math.min(sequence.length - 1, this.#full.length); length > held; length--) {
        if (this.#full.endsWith(sequence.slice(0, length))) {
          held = length;
          break;
        }
      }
    }
    return held;
  }
}
