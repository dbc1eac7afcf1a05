import { basename } from "node:path";
import { CortexError, type Backend } from "@cortex/core";
import type {
  Engine,
  EngineDiscovery,
  EngineModel,
  EstimateOptions,
  LoadOptions,
  ModelInspection,
} from "../engine.js";
import { abortableDelay } from "./abortable-delay.js";
import { readFakeModelFile, type FakeModelKnobs, type FakeNodeKnobs } from "./fake-model-knobs.js";
import { FakeModel, type GenerationKnobs } from "./fake-model.js";

export interface FakeEngineOptions {
  backend?: Backend;
  gpus?: EngineDiscovery["gpus"];
  /** Defaults to the GPUs' summed VRAM, or 16 GiB when there are none. */
  deviceMemory?: EngineDiscovery["deviceMemory"];
  /** Requests allowed to wait for a sequence, per model (the real engine takes it from config). */
  queueLimit?: number;
  /**
   * Drops the connection of the request being generated (the `dropAfterTokens` knob). The engine knows
   * no sockets: whoever runs the HTTP server around it provides this.
   */
  dropConnection?: () => void;
  /** Called after every knob or counter change, so a test can wait on a condition without sleeping. */
  onChange?: () => void;
}

/** What happened on this engine, per model id: what tests assert on. */
export interface FakeEngineStats {
  /** Load executions begun (concurrent requests for one load count once). */
  loads: Record<string, number>;
  /** Loads that failed (`failLoad`, `oomOnLoad`), not counting cancelled ones. */
  failedLoads: Record<string, number>;
  /** Loaded models disposed. */
  unloads: Record<string, number>;
  /** Generations asked for (chat and completions), refused ones included. */
  requests: number;
  /**
   * Generations aborted before they finished: the caller went away, or a forced unload took the model
   * (the neuron aborts both through the request's signal). A connection the knobs dropped is not one.
   */
  aborted: number;
}

const NODE_DEFAULTS: Readonly<FakeNodeKnobs> = Object.freeze({
  loadDelayMs: 0,
  holdLoads: false,
  failLoad: null,
  oomOnLoad: false,
  tokenDelayMs: 0,
  stallAfterTokens: null,
  dropAfterTokens: null,
  status503: false,
  firstByteDelayMs: 0,
  replyText: null,
});

const DEFAULT_DEVICE_MEMORY = 16 * 1024 ** 3;
const LOAD_PROGRESS_STEPS = 4;

/**
 * The Engine contract without llama.cpp: models are small JSON files (see fake-model-knobs.ts) that say
 * how they should behave, so tests can inject slow loads, failed loads, stalls and memory pressure.
 * Counters let tests check that every loaded model was disposed, and never while it was generating.
 */
export class FakeEngine implements Engine {
  readonly name = "fake";
  /** Mutable so a test can change what the next discovery reports (e.g. VRAM taken by someone else). */
  discovery: EngineDiscovery;
  readonly #queueLimit: number;
  readonly #models: FakeModel[] = [];
  readonly #options: FakeEngineOptions;
  #node: FakeNodeKnobs;
  /** Node knobs a test set explicitly: they override the model files' own. */
  readonly #overrides = new Set<keyof FakeNodeKnobs>();
  readonly #stats: FakeEngineStats = { loads: {}, failedLoads: {}, unloads: {}, requests: 0, aborted: 0 };
  readonly #knobWaiters = new Set<() => void>();
  #loadsStarted = 0;
  #disposedWhileBusy = 0;
  #disposed = false;

  constructor(options: FakeEngineOptions = {}) {
    const gpus = options.gpus ?? [];
    const summed = {
      total: gpus.reduce((sum, gpu) => sum + gpu.vramTotal, 0),
      free: gpus.reduce((sum, gpu) => sum + gpu.vramFree, 0),
    };
    this.discovery = {
      backend: options.backend ?? "cpu",
      gpus,
      deviceMemory:
        options.deviceMemory ??
        (gpus.length > 0 ? summed : { total: DEFAULT_DEVICE_MEMORY, free: DEFAULT_DEVICE_MEMORY }),
    };
    this.#queueLimit = options.queueLimit ?? 16;
    this.#options = options;
    this.#node = { ...NODE_DEFAULTS };
  }

  /** The node-wide knobs now in force. */
  get knobs(): Readonly<FakeNodeKnobs> {
    return this.#node;
  }

  /** Changes node-wide knobs from the next load or generation on (a load held by `holdLoads` resumes). */
  set(patch: Partial<FakeNodeKnobs>): void {
    this.#node = { ...this.#node, ...patch };
    for (const key of Object.keys(patch) as (keyof FakeNodeKnobs)[]) this.#overrides.add(key);
    for (const wake of [...this.#knobWaiters]) wake();
    this.#changed();
  }

  stats(): FakeEngineStats {
    return structuredClone(this.#stats);
  }

  /** How many times load() was called, whatever became of it. */
  get loadsStarted(): number {
    return this.#loadsStarted;
  }

  /** Every model this engine loaded successfully, in load order. */
  get models(): readonly FakeModel[] {
    return this.#models;
  }

  /** Loaded and not yet disposed. */
  get liveModels(): number {
    return this.#models.filter((model) => !model.disposed).length;
  }

  /** Disposals that happened while a generation still held a sequence: always a bug in the caller. */
  get disposedWhileBusy(): number {
    return this.#disposedWhileBusy;
  }

  async discover(): Promise<EngineDiscovery> {
    return structuredClone(this.discovery);
  }

  async inspect(path: string): Promise<ModelInspection> {
    const file = await readFakeModelFile(path);
    if (!file.ok) return { ok: false, reason: file.reason, architecture: null, fileSize: file.fileSize };
    return {
      ok: true,
      architecture: file.knobs.architecture,
      quantization: file.knobs.quantization,
      parameters: null,
      trainContextLength: file.knobs.contextSize,
      // The fake's memory is a knob, not a function of the context.
      kvBytesPerToken: null,
      fileSize: file.fileSize,
    };
  }

  async estimateMemory(path: string, _options: EstimateOptions): Promise<number> {
    return (await this.#knobs(path)).memory;
  }

  async load(path: string, options: LoadOptions): Promise<EngineModel> {
    this.#loadsStarted++;
    const id = options.modelId ?? basename(path).replace(/\.gguf$/, "");
    const signal = options.signal ?? new AbortController().signal;
    signal.throwIfAborted();
    const file = await this.#knobs(path);
    // Read once: a test that flips a knob mid-load gets the load it started.
    const { loadDelayMs, failLoad } = this.#effective(file);
    const { oomOnLoad } = this.#node;
    count(this.#stats.loads, id);
    this.#changed();
    try {
      options.onProgress?.(0);
      // Held at 0 %, as a load that has not got anywhere yet; what follows runs once released.
      await this.#untilLoadsReleased(signal);
      for (let step = 1; step <= LOAD_PROGRESS_STEPS; step++) {
        if (loadDelayMs > 0) await abortableDelay(loadDelayMs / LOAD_PROGRESS_STEPS, signal);
        signal.throwIfAborted();
        // Like a real load, a broken model fails partway through, not before it starts.
        if (failLoad !== null && step === LOAD_PROGRESS_STEPS / 2) throw new Error(failLoad);
        options.onProgress?.(step / LOAD_PROGRESS_STEPS);
      }
      if (oomOnLoad) {
        throw new CortexError("insufficient_memory", `out of memory while loading ${id}`, { retryAfter: 1 });
      }
    } catch (error) {
      if (!signal.aborted) count(this.#stats.failedLoads, id);
      this.#changed();
      throw error;
    }
    const model = new FakeModel(file, {
      contextSize: file.contextSize ?? options.contextSize,
      sequences: options.sequences,
      queueLimit: this.#queueLimit,
      knobs: () => this.#generationKnobs(file),
      events: {
        request: () => {
          this.#stats.requests++;
          this.#changed();
        },
        aborted: () => {
          this.#stats.aborted++;
          this.#changed();
        },
        drop: () => this.#options.dropConnection?.(),
        changed: () => this.#changed(),
      },
      onDispose: (_model, busy) => {
        if (busy > 0) this.#disposedWhileBusy++;
        count(this.#stats.unloads, id);
        this.#changed();
      },
    });
    this.#models.push(model);
    this.#changed();
    return model;
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
  }

  /** A model file's load knobs, with the node's where a test set them. */
  #effective(file: FakeModelKnobs): Pick<FakeModelKnobs, "loadDelayMs" | "failLoad"> {
    return {
      loadDelayMs: this.#overrides.has("loadDelayMs") ? this.#node.loadDelayMs : file.loadDelayMs,
      failLoad: this.#overrides.has("failLoad") ? this.#node.failLoad : file.failLoad,
    };
  }

  #generationKnobs(file: FakeModelKnobs): GenerationKnobs {
    const node = this.#node;
    const set = (key: keyof FakeNodeKnobs): boolean => this.#overrides.has(key);
    return {
      tokenDelayMs: set("tokenDelayMs") ? node.tokenDelayMs : file.tokenDelayMs,
      stallAfterTokens: set("stallAfterTokens") ? node.stallAfterTokens : file.stallAfterTokens,
      text: set("replyText") ? node.replyText : file.text,
      dropAfterTokens: node.dropAfterTokens,
      status503: node.status503,
      firstByteDelayMs: node.firstByteDelayMs,
    };
  }

  #untilLoadsReleased(signal: AbortSignal): Promise<void> {
    if (!this.#node.holdLoads) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        if (this.#node.holdLoads) return;
        stop();
        resolve();
      };
      const onAbort = (): void => {
        stop();
        reject(signal.reason as Error);
      };
      const stop = (): void => {
        this.#knobWaiters.delete(wake);
        signal.removeEventListener("abort", onAbort);
      };
      this.#knobWaiters.add(wake);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  #changed(): void {
    this.#options.onChange?.();
  }

  async #knobs(path: string): Promise<FakeModelKnobs> {
    if (this.#disposed) throw new Error("fake engine used after dispose");
    const file = await readFakeModelFile(path);
    if (!file.ok) throw new Error(file.reason);
    return file.knobs;
  }
}

function count(counters: Record<string, number>, id: string): void {
  counters[id] = (counters[id] ?? 0) + 1;
}
