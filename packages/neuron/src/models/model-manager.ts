import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { CortexError, isCortexError, type ModelState, type NeuronModel } from "@cortex/core";
import { estimateHfMemory } from "../convert/inspect-hf-folder.js";
import type { Engine, EngineModel, ModelInspection } from "../engine/engine.js";
import { discoverModels, displayPath, type ModelSource } from "./discover-models.js";
import {
  defaultCacheDir,
  ensureHfConversion,
  hfFolderSignature,
  scanHfFolder,
  type HfSource,
} from "./hf-entry.js";
import type { MemoryBudget } from "./memory-budget.js";
import { assertModelId } from "./model-id.js";
import { ModelSlot, type SlotLease } from "./model-slot.js";

export interface ModelLoadSettings {
  contextSize: number;
  parallel: number;
  gpuLayers: number | "auto" | "max";
}

export interface ModelManagerOptions {
  modelsDir: string;
  /** Where models are found, in order; default: models_dir alone. */
  sources?: readonly ModelSource[];
  /** Where Hugging Face folders are converted to GGUF; defaults to `<modelsDir>/.cortex-cache`. */
  cacheDir?: string;
  engine: Engine;
  budget: MemoryBudget;
  defaults: ModelLoadSettings;
  overrides: Readonly<Record<string, Partial<ModelLoadSettings>>>;
  now: () => number;
  log: (message: string, fields?: Record<string, unknown>) => void;
  onStateChange?: (model: string, state: ModelState) => void;
  /** Every real engine load (not every load request): for metrics. */
  onLoadFinished?: (model: string, ms: number, ok: boolean) => void;
  /** Why a model that is not (yet) in models_dir cannot be served, when something knows (a pull). */
  pending?: (model: string) => string | null;
}

interface Entry {
  id: string;
  /** The GGUF to load: the file itself, or for a Hugging Face folder its (maybe not yet written) conversion. */
  path: string;
  files: string[];
  signature: string;
  inspection: ModelInspection;
  settings: ModelLoadSettings;
  memoryEstimate: number | null;
  slot: ModelSlot;
  /** Set for Hugging Face folders. */
  hf: HfSource | null;
}

const RESCAN_INTERVAL_MS = 2000;
/** llama.cpp's n_ctx is a uint32_t; larger values wrap around (1e12 became 1,420,103,680). */
const MAX_CONTEXT_SIZE = 2 ** 32 - 1;

/**
 * Every model this node can serve, keyed by id. Owns the slots; routes and the engine never hold a
 * model except through a slot lease.
 */
export class ModelManager {
  readonly #options: ModelManagerOptions;
  readonly #entries = new Map<string, Entry>();
  /**
   * Runtime pins by model id (`cortex pin`): kept here, not in a gateway, so every gateway in front of
   * this node sees them and a gateway restart keeps them. By id, so a rescan that replaces an entry keeps
   * its pin. In memory: a restarted neuron starts with its models unloaded and no runtime pins.
   */
  readonly #pins = new Map<string, boolean>();
  #unsupported: { path: string; reason: string }[] = [];
  #scannedAt = -Infinity;
  #scanning: Promise<void> | undefined;

  constructor(options: ModelManagerOptions) {
    this.#options = options;
  }

  get unsupported(): readonly { path: string; reason: string }[] {
    return this.#unsupported;
  }

  /** Rescans models_dir when the last scan is older than a moment; concurrent callers share one scan. */
  async refresh(force = false): Promise<void> {
    if (!force && this.#options.now() - this.#scannedAt < RESCAN_INTERVAL_MS) return;
    this.#scanning ??= this.#scan().finally(() => {
      this.#scanning = undefined;
      this.#scannedAt = this.#options.now();
    });
    await this.#scanning;
  }

  /** Whether `id` is a model of this node (listed, maybe failed): only those may become metric labels. */
  has(id: string): boolean {
    return this.#entries.has(id);
  }

  list(): NeuronModel[] {
    return [...this.#entries.values()].map((entry) => this.#describe(entry));
  }

  async describe(id: string): Promise<NeuronModel> {
    return this.#describe(await this.#entry(id));
  }

  async acquire(id: string, signal: AbortSignal): Promise<SlotLease> {
    const entry = await this.#entry(id);
    return entry.slot.acquire(signal);
  }

  async load(id: string, overrides: Partial<ModelLoadSettings>, signal: AbortSignal): Promise<NeuronModel> {
    const entry = await this.#entry(id);
    const requested = definedOnly(overrides);
    if (requested.contextSize !== undefined) assertContextSize(entry, requested.contextSize);
    // Settings apply to the next load; a model that is already loaded stays as it is (idempotent).
    const previous = entry.settings;
    const next = isIdle(entry.slot) ? { ...previous, ...requested } : undefined;
    if (next) entry.settings = next;
    try {
      await entry.slot.ensureLoaded(signal);
    } catch (error) {
      // A refused or failed load must not pin its settings for every later load (issue 11 finding 1).
      if (next && entry.settings === next && isIdle(entry.slot)) entry.settings = previous;
      throw error;
    }
    return this.#describe(entry);
  }

  async unload(id: string, force: boolean): Promise<NeuronModel> {
    const entry = await this.#entry(id);
    await entry.slot.unload({ force });
    return this.#describe(entry);
  }

  /** Sets the model's runtime pin, or clears it with null (models.toml decides again). */
  async pin(id: string, pinned: boolean | null): Promise<NeuronModel> {
    const entry = await this.#entry(id);
    if (pinned === null) this.#pins.delete(id);
    else this.#pins.set(id, pinned);
    return this.#describe(entry);
  }

  /** For shutdown: abort everything, await it, then dispose (docs/node-llama-cpp.md §7.6). */
  async unloadAll(force: boolean): Promise<void> {
    await Promise.allSettled([...this.#entries.values()].map((entry) => entry.slot.unload({ force })));
  }

  loadedModels(): { id: string; model: EngineModel; inFlight: number }[] {
    const loaded: { id: string; model: EngineModel; inFlight: number }[] = [];
    for (const entry of this.#entries.values()) {
      const model = entry.slot.model;
      if (model) loaded.push({ id: entry.id, model, inFlight: entry.slot.inFlight });
    }
    return loaded;
  }

  async #entry(id: string): Promise<Entry> {
    assertModelId(id);
    let entry = this.#entries.get(id);
    if (!entry) {
      await this.refresh(true);
      entry = this.#entries.get(id);
    }
    if (!entry) {
      const pending = this.#options.pending?.(id);
      if (pending) throw new CortexError("model_not_found", pending, { param: "model" });
      const reason = this.#unsupported.find(
        (item) => item.path === id || item.path.startsWith(`${id}.`) || item.path.startsWith(`${id}-*-of-`),
      );
      throw new CortexError(
        "model_not_found",
        reason ? `model ${id} cannot be served: ${reason.reason}` : `model ${id} not found on this node`,
        { param: "model" },
      );
    }
    if (!entry.inspection.ok) {
      throw new CortexError("model_load_failed", `model ${id} cannot be loaded: ${entry.inspection.reason}`);
    }
    return entry;
  }

  async #scan(): Promise<void> {
    const sources = this.#options.sources ?? [{ kind: "dir", path: this.#options.modelsDir }];
    const { models, unsupported } = await discoverModels(sources);
    const seen = new Set<string>();
    for (const model of models) {
      if (model.kind === "gguf") {
        seen.add(model.id);
        await this.#adopt(model.id, [...model.files]);
        continue;
      }
      const reason = await this.#adoptHf(model.id, model.dir);
      if (reason === null) seen.add(model.id);
      else unsupported.push({ path: displayPath(sources, model.dir), reason });
    }
    for (const [id, entry] of this.#entries) {
      // A file that disappeared stays listed while it is still in memory.
      if (!seen.has(id) && (entry.slot.state === "unloaded" || entry.slot.state === "failed")) {
        this.#entries.delete(id);
        // Its pin goes with it: another model placed under the id later must not inherit it.
        this.#pins.delete(id);
      }
    }
    this.#unsupported = unsupported.sort((a, b) => a.path.localeCompare(b.path));
  }

  /** `files`: absolute paths, a split set in part order. */
  async #adopt(id: string, files: string[]): Promise<void> {
    const stats = await Promise.all(files.map((file) => stat(file).catch(() => null)));
    const signature = stats.map((s) => (s ? `${s.size}:${s.mtimeMs}` : "missing")).join("|");
    const existing = this.#entries.get(id);
    if (existing && existing.signature === signature) return;
    if (existing && existing.slot.state !== "unloaded" && existing.slot.state !== "failed") return;
    const path = files[0] ?? "";
    const inspection = await this.#options.engine.inspect(path);
    const settings = { ...this.#options.defaults, ...definedOnly(this.#options.overrides[id] ?? {}) };
    const entry: Entry = {
      id,
      path,
      files,
      signature,
      inspection,
      settings,
      memoryEstimate: null,
      slot: this.#newSlot(id, () => entry),
      hf: null,
    };
    if (inspection.ok) entry.memoryEstimate = await this.#estimate(entry);
    else this.#options.log("model file cannot be served", { model: id, reason: inspection.reason });
    this.#entries.set(id, entry);
  }

  /** Adopts a Hugging Face folder as a model; returns the reason instead when its type is not supported. */
  async #adoptHf(id: string, dir: string): Promise<string | null> {
    const signature = await hfFolderSignature(dir);
    const existing = this.#entries.get(id);
    if (existing && existing.signature === signature.signature) return null;
    if (existing && existing.slot.state !== "unloaded" && existing.slot.state !== "failed") return null;
    const cacheDir = this.#options.cacheDir ?? defaultCacheDir(this.#options.modelsDir);
    const scan = await scanHfFolder({ id, dir, cacheDir, signature });
    if (scan.kind === "unsupported") {
      this.#entries.delete(id);
      this.#pins.delete(id);
      return scan.reason;
    }
    const settings = { ...this.#options.defaults, ...definedOnly(this.#options.overrides[id] ?? {}) };
    const entry: Entry = {
      id,
      path: scan.cachePath,
      files: [...scan.files],
      signature: scan.signature,
      inspection: scan.inspection,
      settings,
      memoryEstimate: null,
      slot: this.#newSlot(id, () => entry),
      hf: scan.hf,
    };
    if (scan.inspection.ok) entry.memoryEstimate = await this.#estimate(entry);
    else this.#options.log("model folder cannot be served", { model: id, reason: scan.inspection.reason });
    this.#entries.set(id, entry);
    return null;
  }

  #newSlot(id: string, entryOf: () => Entry): ModelSlot {
    const { engine, budget } = this.#options;
    return new ModelSlot(
      id,
      {
        load: async (signal, onProgress) => {
          const entry = entryOf();
          // Before anything is simulated or allocated: node-llama-cpp's estimate builds the context.
          const kvCache = kvCacheFloor(entry);
          if (kvCache !== null) budget.assertFits(id, kvCache);
          if (entry.hf) {
            await ensureHfConversion({
              id,
              hf: entry.hf,
              cachePath: entry.path,
              settings: entry.settings,
              engine,
              budget,
              signal,
              onProgress,
              log: this.#options.log,
              now: this.#options.now,
              onState: (state) => this.#options.onStateChange?.(id, state),
            });
          }
          const needed = await this.#estimate(entry);
          entry.memoryEstimate = needed;
          // A conversion held a provisional reservation: swap it for this one with no await in between.
          budget.release(id);
          budget.reserve(id, needed);
          const started = this.#options.now();
          const finished = (ok: boolean): void =>
            this.#options.onLoadFinished?.(id, this.#options.now() - started, ok);
          const model = await engine
            .load(entry.path, {
              modelId: id,
              contextSize: entry.settings.contextSize,
              sequences: entry.settings.parallel,
              gpuLayers: entry.settings.gpuLayers,
              signal,
              onProgress,
            })
            .catch((error: unknown) => {
              finished(false);
              if (isCortexError(error) || signal.aborted) throw error;
              // A broken model fails the same way everywhere: not retryable, and say which model.
              throw new CortexError(
                "model_load_failed",
                `loading ${id} failed: ${(error as Error).message}`,
                {
                  cause: error,
                },
              );
            });
          finished(true);
          this.#options.log("model loaded", { model: id, ms: this.#options.now() - started });
          return model;
        },
        released: () => budget.release(id),
      },
      { now: this.#options.now, onChange: (state) => this.#options.onStateChange?.(id, state) },
    );
  }

  async #estimate(entry: Entry): Promise<number> {
    // node-llama-cpp's estimate simulates the context, allocating as it goes: a context that cannot fit
    // by arithmetic gets the arithmetic figure instead (it cannot be loaded anyway).
    const kvCache = kvCacheFloor(entry);
    if (kvCache !== null && kvCache > this.#options.budget.snapshot().total) {
      return kvCache + entry.inspection.fileSize;
    }
    const options = {
      contextSize: entry.settings.contextSize,
      sequences: entry.settings.parallel,
      gpuLayers: entry.settings.gpuLayers,
    };
    const hf = entry.hf?.inspection;
    if (!hf) return this.#options.engine.estimateMemory(entry.path, options);
    // Until the conversion exists (or if it is damaged) the estimate comes from the folder itself.
    const fromFolder = estimateHfMemory(hf, options);
    if (!existsSync(entry.path)) return fromFolder;
    return this.#options.engine.estimateMemory(entry.path, options).catch(() => fromFolder);
  }

  #describe(entry: Entry): NeuronModel {
    const { inspection, slot } = entry;
    const loaded = slot.model;
    return {
      id: entry.id,
      source: entry.hf ? "safetensors" : "gguf",
      architecture: inspection.architecture,
      quantization: inspection.ok ? inspection.quantization : null,
      file_size: inspection.fileSize,
      parameters: inspection.ok ? inspection.parameters : null,
      train_context_length: inspection.ok ? inspection.trainContextLength : null,
      context_length: loaded ? loaded.contextSize : entry.settings.contextSize,
      memory_estimate: entry.memoryEstimate,
      state: !inspection.ok ? "failed" : entry.hf?.converting ? "converting" : slot.state,
      progress: slot.progress,
      last_used: slot.lastUsed,
      in_flight: slot.inFlight,
      queued: loaded ? loaded.queued : 0,
      error: inspection.ok ? slot.error : inspection.reason,
      sequences: entry.settings.parallel,
      pinned: this.#pins.get(entry.id) ?? null,
      ...loaded?.cacheReport?.(),
    };
  }
}

function isIdle(slot: ModelSlot): boolean {
  return slot.state === "unloaded" || slot.state === "failed";
}

/** An explicit context must be a size the model was trained for (llama.cpp keeps n_ctx in 32 bits too). */
function assertContextSize(entry: Entry, contextSize: number): void {
  const trained = entry.inspection.ok ? entry.inspection.trainContextLength : null;
  const limit = Math.min(trained ?? MAX_CONTEXT_SIZE, MAX_CONTEXT_SIZE);
  if (!Number.isSafeInteger(contextSize) || contextSize < 1 || contextSize > limit) {
    const bound = limit === trained ? `${entry.id}'s trained context of ${limit} tokens` : `${limit} tokens`;
    throw new CortexError("invalid_request", `context_size ${contextSize} must be at most ${bound}`, {
      param: "context_size",
    });
  }
}

/** What the KV cache alone takes for the entry's settings; a lower bound of the load's memory. */
function kvCacheFloor(entry: Entry): number | null {
  const perToken = entry.inspection.ok ? entry.inspection.kvBytesPerToken : null;
  if (perToken === null) return null;
  return perToken * entry.settings.contextSize * entry.settings.parallel;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
