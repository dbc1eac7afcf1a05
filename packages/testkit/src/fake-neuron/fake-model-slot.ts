import { CortexError, type ModelState } from "@cortex/core";
import { raceAbort } from "./abortable-sleep.js";
import type { FakeModelSpec } from "./fake-neuron-options.js";

export interface FakeSlotHooks {
  /** Reserves the model's memory and "loads" it; throws to refuse or fail. */
  load(slot: FakeModelSlot, signal: AbortSignal): Promise<void>;
  /** The model's memory is free again; `unloaded` when a loaded model went away (not a failed load). */
  released(slot: FakeModelSlot, unloaded: boolean): void;
  /** Something a test may be waiting on changed. */
  changed(): void;
  now(): number;
}

export interface FakeLease {
  /** Aborts when the request's signal does or a forced unload takes the model away. */
  signal: AbortSignal;
  release(): void;
}

type State =
  | { kind: "unloaded" }
  /** `done` settles with the load's error, or null when it loaded or was cancelled. */
  | { kind: "loading"; done: Promise<Error | null>; abort: AbortController }
  | { kind: "loaded" }
  | { kind: "unloading"; done: Promise<void> }
  | { kind: "failed" };

/**
 * One model's lifecycle, with the real neuron's semantics in miniature: concurrent callers share one
 * load, unload waits for leases (or aborts them with `force`), and the state is re-read after every
 * await so nobody acts on a state that has since changed.
 */
export class FakeModelSlot {
  readonly spec: FakeModelSpec;
  readonly #hooks: FakeSlotHooks;
  #state: State;
  readonly #leases = new Set<AbortController>();
  #drained: (() => void) | undefined;
  #lastUsed: number | null = null;
  #error: string | null = null;

  constructor(spec: FakeModelSpec, hooks: FakeSlotHooks) {
    this.spec = spec;
    this.#hooks = hooks;
    this.#state = spec.loaded === true ? { kind: "loaded" } : { kind: "unloaded" };
  }

  get state(): ModelState {
    return this.#state.kind;
  }

  get inFlight(): number {
    return this.#leases.size;
  }

  get lastUsed(): number | null {
    return this.#lastUsed;
  }

  get error(): string | null {
    return this.#error;
  }

  async acquire(signal: AbortSignal): Promise<FakeLease> {
    for (;;) {
      signal.throwIfAborted();
      const state = this.#state;
      switch (state.kind) {
        case "loaded":
          return this.#lease(signal);
        case "unloaded":
        case "failed":
          this.#startLoad();
          break;
        case "loading": {
          const failure = await raceAbort(state.done, signal);
          if (failure) throw failure;
          break;
        }
        case "unloading":
          await raceAbort(state.done, signal);
          break;
        default:
          state satisfies never;
      }
    }
  }

  async unload(force: boolean): Promise<void> {
    for (;;) {
      const state = this.#state;
      switch (state.kind) {
        case "unloaded":
        case "failed":
          return;
        case "loading":
          state.abort.abort(
            new CortexError("request_aborted", `load of ${this.spec.id} cancelled by unload`),
          );
          await state.done;
          break;
        case "unloading":
          await state.done;
          return;
        case "loaded": {
          // "unloading" must be in place before the drain can finish and set "unloaded".
          let settle = (): void => {};
          const done = new Promise<void>((resolve) => {
            settle = resolve;
          });
          this.#set({ kind: "unloading", done });
          await this.#drain(force).finally(settle);
          return;
        }
        default:
          state satisfies never;
      }
    }
  }

  #lease(signal: AbortSignal): FakeLease {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    this.#leases.add(controller);
    this.#lastUsed = this.#hooks.now();
    this.#hooks.changed();
    let released = false;
    return {
      signal: controller.signal,
      release: () => {
        if (released) return;
        released = true;
        signal.removeEventListener("abort", onAbort);
        this.#leases.delete(controller);
        this.#lastUsed = this.#hooks.now();
        if (this.#leases.size === 0) this.#drained?.();
        this.#hooks.changed();
      },
    };
  }

  #startLoad(): void {
    const abort = new AbortController();
    this.#error = null;
    const done = this.#hooks.load(this, abort.signal).then(
      (): null => {
        if (abort.signal.aborted) {
          this.#hooks.released(this, false);
          this.#set({ kind: "unloaded" });
        } else {
          this.#set({ kind: "loaded" });
        }
        return null;
      },
      (error: unknown): Error | null => {
        this.#hooks.released(this, false);
        if (abort.signal.aborted) {
          this.#set({ kind: "unloaded" });
          return null;
        }
        const failure = error instanceof Error ? error : new Error(String(error));
        this.#error = failure.message;
        // Refused for lack of memory is not broken: the model may fit later.
        const refused = failure instanceof CortexError && failure.code === "insufficient_memory";
        this.#set({ kind: refused ? "unloaded" : "failed" });
        return failure;
      },
    );
    this.#set({ kind: "loading", done, abort });
  }

  async #drain(force: boolean): Promise<void> {
    if (this.#leases.size > 0) {
      const drained = new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
      if (force) {
        for (const lease of this.#leases) {
          lease.abort(new CortexError("request_aborted", `${this.spec.id} was unloaded`));
        }
      }
      await drained;
      this.#drained = undefined;
    }
    this.#hooks.released(this, true);
    this.#set({ kind: "unloaded" });
  }

  #set(next: State): void {
    this.#state = next;
    this.#hooks.changed();
  }
}
