import { CortexError, type ModelState } from "@cortex/core";
import type { EngineModel } from "../engine/engine.js";
import { assertTransition } from "./model-slot-state.js";

export interface SlotLoader {
  /** Reserves memory and loads the model; the reservation is given back through `released`. */
  load(signal: AbortSignal, onProgress: (progress: number) => void): Promise<EngineModel>;
  /** Called after the model is disposed or a load failed: give back the memory reservation. */
  released(): void;
}

export interface SlotLease {
  model: EngineModel;
  /** Aborted when the request's own signal aborts or a forced unload takes the model away. */
  signal: AbortSignal;
  release(): void;
}

type State =
  | { kind: "unloaded" }
  /** `done` settles with the load's error or its cancellation, or null when it loaded. */
  | { kind: "loading"; done: Promise<Error | null>; abort: AbortController }
  | { kind: "loaded"; model: EngineModel }
  | { kind: "unloading"; done: Promise<void> }
  | { kind: "failed"; error: Error };

/**
 * The one owner of a model's lifecycle. Callers state an intent (acquire, ensureLoaded, unload) and the
 * slot re-reads its state after every await, so nobody acts on a state that has since changed
 * (llama-swap #946: a request saw "stopping", skipped the start, and hung).
 */
export class ModelSlot {
  readonly id: string;
  readonly #loader: SlotLoader;
  readonly #now: () => number;
  readonly #onChange: (state: ModelState) => void;
  #state: State = { kind: "unloaded" };
  #progress: number | null = null;
  #lastUsed: number | null = null;
  #lastError: string | null = null;
  readonly #leases = new Set<AbortController>();
  #drained: (() => void) | undefined;

  constructor(
    id: string,
    loader: SlotLoader,
    options: { now: () => number; onChange?: (state: ModelState) => void },
  ) {
    this.id = id;
    this.#loader = loader;
    this.#now = options.now;
    this.#onChange = options.onChange ?? (() => {});
  }

  get state(): ModelState {
    return this.#state.kind;
  }

  get inFlight(): number {
    return this.#leases.size;
  }

  get progress(): number | null {
    return this.#progress;
  }

  get lastUsed(): number | null {
    return this.#lastUsed;
  }

  get error(): string | null {
    return this.#lastError;
  }

  get model(): EngineModel | undefined {
    return this.#state.kind === "loaded" ? this.#state.model : undefined;
  }

  async ensureLoaded(signal: AbortSignal): Promise<void> {
    (await this.acquire(signal)).release();
  }

  async acquire(signal: AbortSignal): Promise<SlotLease> {
    for (;;) {
      signal.throwIfAborted();
      const state = this.#state;
      switch (state.kind) {
        case "loaded":
          return this.#lease(state.model, signal);
        case "unloaded":
        case "failed":
          this.#startLoad();
          break;
        case "loading": {
          // Everyone waiting for one load hears its outcome; a failure is not retried in a loop.
          const failure = await waitFor(state.done, signal);
          if (failure) throw failure;
          break;
        }
        case "unloading":
          await waitFor(state.done, signal);
          break;
        default:
          state satisfies never;
      }
    }
  }

  /** Waits for in-flight requests, or aborts them first with `force`; always abort-then-await before dispose. */
  async unload(options: { force?: boolean } = {}): Promise<void> {
    for (;;) {
      const state = this.#state;
      switch (state.kind) {
        case "unloaded":
        case "failed":
          return;
        case "loading":
          state.abort.abort(new CortexError("request_aborted", `load of ${this.id} cancelled by unload`));
          await state.done;
          break;
        case "unloading":
          await state.done;
          return;
        case "loaded": {
          const done = this.#unload(state.model, options.force === true);
          this.#set({ kind: "unloading", done });
          await done;
          return;
        }
        default:
          state satisfies never;
      }
    }
  }

  #lease(model: EngineModel, signal: AbortSignal): SlotLease {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    this.#leases.add(controller);
    this.#lastUsed = this.#now();
    let released = false;
    return {
      model,
      signal: controller.signal,
      release: () => {
        if (released) return;
        released = true;
        signal.removeEventListener("abort", onAbort);
        this.#leases.delete(controller);
        this.#lastUsed = this.#now();
        if (this.#leases.size === 0) this.#drained?.();
      },
    };
  }

  #startLoad(): void {
    const abort = new AbortController();
    this.#progress = 0;
    this.#lastError = null;
    const done = this.#loader
      .load(abort.signal, (progress) => {
        this.#progress = progress;
      })
      .then(
        async (model): Promise<Error | null> => {
          this.#progress = null;
          if (!abort.signal.aborted) {
            this.#set({ kind: "loaded", model });
            return null;
          }
          // Unloaded while the weights were still arriving.
          try {
            await model.dispose();
          } finally {
            this.#loader.released();
            this.#set({ kind: "unloaded" });
          }
          return cancellation(abort.signal);
        },
        (error: unknown): Error | null => {
          this.#progress = null;
          this.#loader.released();
          const failure = error instanceof Error ? error : new Error(String(error));
          if (abort.signal.aborted) {
            this.#set({ kind: "unloaded" });
            return cancellation(abort.signal);
          }
          this.#lastError = failure.message;
          // Refused for lack of memory is not broken: the model may fit later.
          const refused = error instanceof CortexError && error.code === "insufficient_memory";
          this.#set(refused ? { kind: "unloaded" } : { kind: "failed", error: failure });
          return failure;
        },
      );
    this.#set({ kind: "loading", done, abort });
  }

  async #unload(model: EngineModel, force: boolean): Promise<void> {
    if (this.#leases.size > 0) {
      const drained = new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
      if (force) {
        for (const lease of this.#leases)
          lease.abort(new CortexError("request_aborted", `${this.id} was unloaded`));
      }
      await drained;
      this.#drained = undefined;
    }
    try {
      await model.dispose();
    } finally {
      this.#loader.released();
      this.#set({ kind: "unloaded" });
    }
  }

  #set(next: State): void {
    assertTransition(this.#state.kind, next.kind, this.id);
    this.#state = next;
    this.#onChange(next.kind);
  }
}

/** Waiters must hear that an unload cancelled their load, or they would start it again at once. */
function cancellation(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason));
}

function waitFor<T>(done: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    done.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
