/** The run's wall-clock budget: phases ask before starting work and skip what no longer fits. */
export class Deadline {
  readonly #now: () => number;
  readonly #end: number;
  readonly #skipped: string[] = [];

  constructor(budgetMs: number, now: () => number = () => performance.now()) {
    this.#now = now;
    this.#end = now() + budgetMs;
  }

  remainingMs(): number {
    return Math.max(0, this.#end - this.#now());
  }

  /** True when `needMs` still fits; otherwise records `what` as skipped. */
  allows(what: string, needMs = 0): boolean {
    if (this.remainingMs() > needMs) return true;
    this.#skipped.push(what);
    return false;
  }

  /** Records `what` as skipped: work a phase left out on its own once `remainingMs()` reached 0. */
  skip(what: string): void {
    this.#skipped.push(what);
  }

  get skipped(): readonly string[] {
    return this.#skipped;
  }
}
