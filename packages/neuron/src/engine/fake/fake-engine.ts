import type { Backend } from "@cortex/core";
import type {
  Engine,
  EngineDiscovery,
  EngineModel,
  EstimateOptions,
  LoadOptions,
  ModelInspection,
} from "../engine.js";
import { abortableDelay } from "./abortable-delay.js";
import { readFakeModelFile, type FakeModelKnobs } from "./fake-model-knobs.js";
import { FakeModel } from "./fake-model.js";

export interface FakeEngineOptions {
  backend?: Backend;
  gpus?: EngineDiscovery["gpus"];
  /** Defaults to the GPUs' summed VRAM, or 16 GiB when there are none. */
  deviceMemory?: EngineDiscovery["deviceMemory"];
  /** Requests allowed to wait for a sequence, per model (the real engine takes it from config). */
  queueLimit?: number;
}

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
      quantization: "fake",
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
    const signal = options.signal ?? new AbortController().signal;
    signal.throwIfAborted();
    const knobs = await this.#knobs(path);
    options.onProgress?.(0);
    for (let step = 1; step <= LOAD_PROGRESS_STEPS; step++) {
      if (knobs.loadDelayMs > 0) await abortableDelay(knobs.loadDelayMs / LOAD_PROGRESS_STEPS, signal);
      signal.throwIfAborted();
      // Like a real load, a broken model fails partway through, not before it starts.
      if (knobs.failLoad !== null && step === LOAD_PROGRESS_STEPS / 2) throw new Error(knobs.failLoad);
      options.onProgress?.(step / LOAD_PROGRESS_STEPS);
    }
    const model = new FakeModel(knobs, {
      contextSize: knobs.contextSize ?? options.contextSize,
      sequences: options.sequences,
      queueLimit: this.#queueLimit,
      onDispose: (_model, busy) => {
        if (busy > 0) this.#disposedWhileBusy++;
      },
    });
    this.#models.push(model);
    return model;
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
  }

  async #knobs(path: string): Promise<FakeModelKnobs> {
    if (this.#disposed) throw new Error("fake engine used after dispose");
    const file = await readFakeModelFile(path);
    if (!file.ok) throw new Error(file.reason);
    return file.knobs;
  }
}
