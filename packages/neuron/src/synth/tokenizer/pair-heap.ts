/**
 * Max-heap of (count, pair) entries with lazy deletion: the learner pushes a fresh entry whenever a
 * pair's count changes and skips entries whose count is stale. Ties go to the smaller pair key, so the
 * learned merges are deterministic.
 */
export class PairHeap {
  readonly #counts: number[] = [];
  readonly #keys: number[] = [];

  get size(): number {
    return this.#counts.length;
  }

  push(count: number, key: number): void {
    this.#counts.push(count);
    this.#keys.push(key);
    this.#siftUp(this.#counts.length - 1);
  }

  /** Removes and returns the top entry, or null when empty. */
  pop(): { count: number; key: number } | null {
    const count = this.#counts[0];
    const key = this.#keys[0];
    if (count === undefined || key === undefined) return null;
    const lastCount = this.#counts.pop() ?? 0;
    const lastKey = this.#keys.pop() ?? 0;
    if (this.#counts.length > 0) {
      this.#counts[0] = lastCount;
      this.#keys[0] = lastKey;
      this.#siftDown(0);
    }
    return { count, key };
  }

  #before(i: number, j: number): boolean {
    const ci = this.#counts[i] ?? 0;
    const cj = this.#counts[j] ?? 0;
    return ci > cj || (ci === cj && (this.#keys[i] ?? 0) < (this.#keys[j] ?? 0));
  }

  #swap(i: number, j: number): void {
    const c = this.#counts[i] ?? 0;
    const k = this.#keys[i] ?? 0;
    this.#counts[i] = this.#counts[j] ?? 0;
    this.#keys[i] = this.#keys[j] ?? 0;
    this.#counts[j] = c;
    this.#keys[j] = k;
  }

  #siftUp(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #siftDown(index: number): void {
    let i = index;
    const n = this.#counts.length;
    while (true) {
      const left = 2 * i + 1;
      const right = left + 1;
      let best = i;
      if (left < n && this.#before(left, best)) best = left;
      if (right < n && this.#before(right, best)) best = right;
      if (best === i) return;
      this.#swap(i, best);
      i = best;
    }
  }
}
