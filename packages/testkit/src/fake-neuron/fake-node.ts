import {
  CortexError,
  SUPPORTED_GGUF_ARCHITECTURES,
  SUPPORTED_HF_MODEL_TYPES,
  formatBytes,
  type NeuronInfo,
  type NeuronModel,
} from "@cortex/core";
import { abortableSleep } from "./abortable-sleep.js";
import { DEFAULT_KNOBS, type FakeKnobs } from "./fake-knobs.js";
import { FakeModelSlot } from "./fake-model-slot.js";
import type { FakeNeuronOptions, FakeNeuronStats } from "./fake-neuron-options.js";

export const FAKE_NEURON_VERSION = "0.0.0-fake";
const DEFAULT_CONTEXT_LENGTH = 4096;
/** Short, so a gateway that honours Retry-After does not slow tests down. */
export const FAKE_RETRY_AFTER_SECONDS = 1;

/** The fake node's whole state: models, memory, knobs and the counters tests assert on. */
export class FakeNode {
  readonly name: string;
  readonly memoryTotal: number;
  readonly #slots = new Map<string, FakeModelSlot>();
  /** Models holding memory: loaded, loading, unloading. */
  readonly #reserved = new Set<string>();
  readonly #closing = new AbortController();
  readonly #waiters = new Set<() => void>();
  #knobs: FakeKnobs;
  readonly #loads: Record<string, number> = {};
  readonly #loadRequests: Record<string, number> = {};
  readonly #failedLoads: Record<string, number> = {};
  readonly #unloads: Record<string, number> = {};
  #requests = 0;
  #aborted = 0;
  #nextId = 0;

  constructor(options: FakeNeuronOptions) {
    this.name = options.name;
    this.memoryTotal = options.memoryTotal;
    this.#knobs = { ...DEFAULT_KNOBS, ...options.knobs };
    for (const spec of options.models) {
      if (this.#slots.has(spec.id))
        throw new Error(`fake neuron ${options.name}: duplicate model ${spec.id}`);
      this.#slots.set(spec.id, new FakeModelSlot({ ...spec }, this.#hooks));
      if (spec.loaded === true) this.#reserved.add(spec.id);
      this.#loads[spec.id] = 0;
      this.#loadRequests[spec.id] = 0;
      this.#failedLoads[spec.id] = 0;
      this.#unloads[spec.id] = 0;
    }
  }

  get knobs(): Readonly<FakeKnobs> {
    return this.#knobs;
  }

  set(patch: Partial<FakeKnobs>): void {
    this.#knobs = { ...this.#knobs, ...patch };
    this.#changed();
  }

  newId(prefix: string): string {
    return `${prefix}fake${this.name}${++this.#nextId}`;
  }

  slot(id: string): FakeModelSlot {
    const slot = this.#slots.get(id);
    if (!slot)
      throw new CortexError("model_not_found", `model ${id} not found on this node`, { param: "model" });
    return slot;
  }

  memory(): NeuronInfo["memory"] {
    let used = 0;
    for (const id of this.#reserved) used += this.slot(id).spec.memory;
    return {
      total: this.memoryTotal,
      used,
      free: Math.max(0, this.memoryTotal - used),
      headroom: 0,
      source: "budget",
    };
  }

  info(): NeuronInfo {
    const memory = this.memory();
    return {
      node: this.name,
      version: FAKE_NEURON_VERSION,
      backend: "cpu",
      gpus: [],
      ram_total: memory.total,
      ram_free: memory.free,
      cpu_threads: 1,
      threads: 1,
      parallel: 1,
      memory,
      supported: {
        gguf_architectures: [...SUPPORTED_GGUF_ARCHITECTURES],
        hf_model_types: [...SUPPORTED_HF_MODEL_TYPES],
      },
      unsupported: [],
    };
  }

  models(): NeuronModel[] {
    return [...this.#slots.values()].map((slot) => this.describe(slot));
  }

  describe(slot: FakeModelSlot): NeuronModel {
    const { spec } = slot;
    return {
      id: spec.id,
      source: "gguf",
      architecture: "llama",
      quantization: "Q8_0",
      file_size: spec.memory,
      parameters: null,
      train_context_length: spec.contextLength ?? DEFAULT_CONTEXT_LENGTH,
      context_length: spec.contextLength ?? DEFAULT_CONTEXT_LENGTH,
      memory_estimate: spec.memory,
      state: slot.state,
      progress: slot.state === "loading" ? 0 : null,
      last_used: slot.lastUsed,
      in_flight: slot.inFlight,
      queued: 0,
      error: slot.error,
    };
  }

  stats(): FakeNeuronStats {
    const inFlight: Record<string, number> = {};
    for (const [id, slot] of this.#slots) inFlight[id] = slot.inFlight;
    return {
      loads: { ...this.#loads },
      loadRequests: { ...this.#loadRequests },
      failedLoads: { ...this.#failedLoads },
      unloads: { ...this.#unloads },
      requests: this.#requests,
      aborted: this.#aborted,
      inFlight,
    };
  }

  countRequest(): void {
    this.#requests++;
    this.#changed();
  }

  countLoadRequest(id: string): void {
    this.#loadRequests[id] = (this.#loadRequests[id] ?? 0) + 1;
    this.#changed();
  }

  countAborted(): void {
    this.#aborted++;
    this.#changed();
  }

  /** Resolves once `predicate` holds; it is re-checked after every state, knob or counter change. */
  waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const stop = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      const check = (): void => {
        try {
          if (!predicate()) return;
          stop();
          resolve();
        } catch (error) {
          stop();
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
      const timer = setTimeout(() => {
        stop();
        const state = JSON.stringify({
          stats: this.stats(),
          models: this.models().map((m) => [m.id, m.state]),
        });
        reject(new Error(`fake neuron ${this.name}: condition not met within ${timeoutMs} ms; ${state}`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  /** Cancels pending load delays so a closed fake leaves no timers behind. */
  close(): void {
    this.#closing.abort(new CortexError("node_unavailable", `fake neuron ${this.name} closed`));
  }

  readonly #hooks = {
    load: (slot: FakeModelSlot, signal: AbortSignal) => this.#load(slot, signal),
    released: (slot: FakeModelSlot, unloaded: boolean) => {
      this.#reserved.delete(slot.spec.id);
      if (unloaded) this.#unloads[slot.spec.id] = (this.#unloads[slot.spec.id] ?? 0) + 1;
    },
    changed: () => this.#changed(),
    now: () => Date.now(),
  };

  async #load(slot: FakeModelSlot, signal: AbortSignal): Promise<void> {
    const { id, memory } = slot.spec;
    // Knobs are read once, so a test that flips one mid-load gets the load it started.
    const knobs = this.#knobs;
    const { free } = this.memory();
    if (memory > free) throw this.#insufficientMemory(id, memory, free);
    this.#reserved.add(id);
    this.#loads[id] = (this.#loads[id] ?? 0) + 1;
    const cancel = AbortSignal.any([signal, this.#closing.signal]);
    try {
      await abortableSleep(knobs.loadDelayMs, cancel);
      await this.#until(() => !this.#knobs.holdLoads, cancel);
      if (knobs.failLoad !== null) throw new CortexError("model_load_failed", knobs.failLoad);
      if (knobs.oomOnLoad) throw this.#insufficientMemory(id, memory, free, "out of memory while loading");
    } catch (error) {
      if (!signal.aborted) this.#failedLoads[id] = (this.#failedLoads[id] ?? 0) + 1;
      throw error;
    }
  }

  #insufficientMemory(
    id: string,
    needs: number,
    free: number,
    what = "insufficient memory to load",
  ): CortexError {
    return new CortexError(
      "insufficient_memory",
      `${what} ${id}: needs ${formatBytes(needs)}, ${formatBytes(free)} free (budget)`,
      { retryAfter: FAKE_RETRY_AFTER_SECONDS },
    );
  }

  /** Like `waitFor`, without a timeout: for loads held by the `holdLoads` knob. */
  #until(predicate: () => boolean, signal: AbortSignal): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const stop = (): void => {
        this.#waiters.delete(check);
        signal.removeEventListener("abort", onAbort);
      };
      const check = (): void => {
        if (!predicate()) return;
        stop();
        resolve();
      };
      const onAbort = (): void => {
        stop();
        reject(signal.reason as Error);
      };
      this.#waiters.add(check);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  #changed(): void {
    for (const check of [...this.#waiters]) check();
  }
}
