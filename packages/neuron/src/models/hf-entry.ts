import { access, rm } from "node:fs/promises";
import { join } from "node:path";
import { CortexError, type ModelState } from "@cortex/core";
import { convertIntoCache, hfCachePath, hfSignature, hfSourceFiles } from "../convert/hf-conversion-cache.js";
import { estimateHfMemory, inspectHfFolder, type HfFolderInspection } from "../convert/inspect-hf-folder.js";
import type { ConvertTarget } from "../convert/plan/gguf-tensor-plan.js";
import type { Engine, ModelInspection } from "../engine/engine.js";
import type { MemoryBudget } from "./memory-budget.js";
import { modelFileStem } from "./model-id.js";

/** The neuron serves HF folders in their own dtype; `neuron convert --quant` is the way to re-encode. */
export const SERVE_TARGET: ConvertTarget = "auto";

/** The Hugging Face side of a registry entry. The entry's `path` is the cached GGUF. */
export interface HfSource {
  /** Absolute path of the folder. */
  readonly dir: string;
  readonly inspection: Extract<HfFolderInspection, { ok: true }> | null;
  /** True while the folder is being converted (the slot is "loading"; /models says "converting"). */
  converting: boolean;
}

export type HfScan =
  | { readonly kind: "unsupported"; readonly reason: string }
  | {
      readonly kind: "model";
      readonly signature: string;
      readonly files: readonly string[];
      readonly cachePath: string;
      readonly inspection: ModelInspection;
      readonly hf: HfSource;
    };

/** Cheap part of a scan: the folder's files and their sizes/mtimes, to skip unchanged folders. */
export async function hfFolderSignature(
  dir: string,
): Promise<{ signature: string; files: string[]; bytes: number }> {
  const files = await hfSourceFiles(dir);
  return {
    signature: hfSignature(files),
    files: files.map((file) => file.name),
    bytes: files
      .filter((file) => file.name.endsWith(".safetensors"))
      .reduce((sum, file) => sum + file.size, 0),
  };
}

/** Reads config.json, the safetensors headers and the tokenizer; never tensor data. */
export async function scanHfFolder(options: {
  id: string;
  dir: string;
  cacheDir: string;
  signature: { signature: string; files: string[]; bytes: number };
}): Promise<HfScan> {
  const { id, dir, cacheDir, signature } = options;
  const inspection = await inspectHfFolder(dir, SERVE_TARGET);
  if (!inspection.ok && inspection.unsupported) return { kind: "unsupported", reason: inspection.reason };
  return {
    kind: "model",
    signature: signature.signature,
    files: signature.files,
    cachePath: hfCachePath(cacheDir, modelFileStem(id), {
      dir,
      signature: signature.signature,
      target: SERVE_TARGET,
    }),
    inspection: inspection.ok
      ? {
          ok: true,
          architecture: inspection.modelType,
          quantization: inspection.quantization,
          parameters: inspection.parameters,
          trainContextLength: inspection.trainContextLength,
          kvBytesPerToken: inspection.kvBytesPerToken,
          fileSize: inspection.weightFileBytes,
        }
      : {
          ok: false,
          reason: inspection.reason,
          architecture: inspection.modelType,
          fileSize: signature.bytes,
        },
    hf: { dir, inspection: inspection.ok ? inspection : null, converting: false },
  };
}

export function defaultCacheDir(modelsDir: string): string {
  return join(modelsDir, ".cortex-cache");
}

export interface EnsureHfConversionOptions {
  readonly id: string;
  readonly hf: HfSource;
  readonly cachePath: string;
  readonly settings: { readonly contextSize: number; readonly parallel: number };
  readonly engine: Engine;
  readonly budget: MemoryBudget;
  readonly signal: AbortSignal;
  readonly onProgress: (progress: number) => void;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
  readonly now: () => number;
  /** "converting" when the conversion starts, "loading" when it is done (the slot itself stays "loading"). */
  readonly onState: (state: ModelState) => void;
}

/**
 * Part of the slot's load: converts the folder into the cache unless a valid conversion is there. Memory
 * is reserved first, from the pre-conversion estimate, so a model that cannot fit fails at once instead
 * of after a long conversion; the loader then swaps that reservation for the engine's own estimate.
 */
export async function ensureHfConversion(options: EnsureHfConversionOptions): Promise<void> {
  const { id, hf, cachePath, engine, budget, signal, log } = options;
  // An await comes first, so the slot has announced "loading" before this announces "converting".
  if (await fileExists(cachePath)) {
    // Validate before llama.cpp sees it: a damaged file could abort the whole process (docs/node-llama-cpp.md §7.5).
    const cached = await engine.inspect(cachePath);
    if (cached.ok) return;
    log("cached conversion is unusable, converting again", { model: id, reason: cached.reason });
    await rm(cachePath, { force: true });
  }
  if (hf.inspection === null) throw new CortexError("model_load_failed", `model ${id} cannot be converted`);
  const { contextSize, parallel } = options.settings;
  budget.reserve(id, estimateHfMemory(hf.inspection, { contextSize, sequences: parallel }));
  const started = options.now();
  hf.converting = true;
  options.onProgress(0);
  log("converting model", { model: id, from: hf.dir, to: cachePath });
  options.onState("converting");
  try {
    await convertIntoCache({
      dir: hf.dir,
      cachePath,
      // The cache's file names carry the id (`org/name` from the hub cache becomes `org@name`).
      id: modelFileStem(id),
      target: SERVE_TARGET,
      signal,
      onProgress: options.onProgress,
    });
  } catch (error) {
    if (signal.aborted) throw error;
    // Not retryable: the same folder fails the same way on the next attempt.
    throw new CortexError("model_load_failed", `converting ${id} failed: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    hf.converting = false;
  }
  log("model converted", { model: id, ms: options.now() - started });
  options.onState("loading");
}

function fileExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
