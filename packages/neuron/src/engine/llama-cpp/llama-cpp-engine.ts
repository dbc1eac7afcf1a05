import { randomUUID } from "node:crypto";
import { stat } from "node:fs/promises";
import type { Backend } from "@cortex/core";
import {
  GgufInsights,
  LlamaLogLevel,
  getLlama,
  readGgufFileInfo,
  resolveChatWrapper,
  type Llama,
} from "node-llama-cpp";
import type { KvTier } from "../../kv-cache/kv-tier.js";
import { truncationProblem } from "../../models/gguf-data-extent.js";
import { splitGgufPartPaths } from "../../models/group-model-files.js";
import { kvCacheBytesPerToken, validateGgufMetadata } from "../../models/validate-gguf-metadata.js";
import type {
  Engine,
  EngineDiscovery,
  EngineModel,
  EstimateOptions,
  LoadOptions,
  ModelInspection,
} from "../engine.js";
import { fairBatchStrategy } from "./fair-batch-strategy.js";
import type { PhaseThreadCounts } from "./phase-threads.js";
import type { RestorePolicy } from "./prefix-reuse.js";
import { LlamaCppModel } from "./llama-cpp-model.js";
import { quantizationName } from "./quantization-name.js";

export type GpuPreference = "auto" | "cuda" | "vulkan" | "metal" | "cpu";

export interface LlamaCppEngineOptions {
  gpu: GpuPreference;
  /**
   * Explicit: node-llama-cpp's default (max(4, cores)) oversubscribes small machines (docs/node-llama-cpp.md §7.4).
   * `decode` for single-token batches, `batch` for prompt evaluation (PhaseThreads).
   */
  threads: PhaseThreadCounts;
  queueLimit: number;
  /** The node's KV state tier, asked at each load (it opens after discovery); each model gets its share. */
  kvTier?: () => { tier: KvTier; minTokens: number; restore: RestorePolicy } | undefined;
  log: (level: "error" | "warn" | "info" | "debug", message: string) => void;
}

export class LlamaCppEngine implements Engine {
  readonly name = "llama.cpp";
  readonly #options: LlamaCppEngineOptions;
  #llama: Promise<Llama> | undefined;

  constructor(options: LlamaCppEngineOptions) {
    this.#options = options;
  }

  #getLlama(): Promise<Llama> {
    this.#llama ??= getLlama({
      gpu: this.#options.gpu === "cpu" ? false : this.#options.gpu,
      // Never compile llama.cpp at run time on a serving node: fail fast and say why instead.
      build: "never",
      // The most any one batch may use; PhaseThreads lowers it for decode batches.
      maxThreads: Math.max(this.#options.threads.decode, this.#options.threads.batch),
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        const text = message.trimEnd();
        if (text === "") return;
        this.#options.log(
          level === LlamaLogLevel.error || level === LlamaLogLevel.fatal ? "error" : "warn",
          text,
        );
      },
    });
    return this.#llama;
  }

  async discover(): Promise<EngineDiscovery> {
    const llama = await this.#getLlama();
    const backend: Backend = llama.gpu === false ? "cpu" : llama.gpu;
    if (backend === "cpu") return { backend, gpus: [], deviceMemory: { total: 0, free: 0 } };
    const [vram, names] = await Promise.all([llama.getVramState(), llama.getGpuDeviceNames()]);
    // node-llama-cpp reports VRAM summed over devices; split evenly unless nvidia-smi knows better.
    const share = names.length > 0 ? names.length : 1;
    return {
      backend,
      gpus: names.map((name, index) => ({
        index,
        name,
        vramTotal: Math.floor(vram.total / share),
        vramFree: Math.floor(vram.free / share),
      })),
      deviceMemory: { total: vram.total, free: vram.free },
    };
  }

  async inspect(path: string): Promise<ModelInspection> {
    const fileSize = await totalSize(path);
    try {
      const info = await readGgufFileInfo(path, { logWarnings: false });
      const validation = validateGgufMetadata(info.metadata);
      const architecture = info.metadata.general?.architecture ?? null;
      if (!validation.ok) return { ok: false, reason: validation.reason, architecture, fileSize };
      // The header can be intact while the data is cut short: llama.cpp would only notice at load.
      const parts = splitGgufPartPaths(path, info.splicedParts);
      const truncated = truncationProblem(info.fullTensorInfo ?? [], await Promise.all(parts.map(totalSize)));
      if (truncated !== null) return { ok: false, reason: truncated, architecture, fileSize };
      const insights = await GgufInsights.from(info, await this.#getLlama());
      return {
        ok: true,
        architecture: validation.architecture,
        quantization: quantizationName(info.metadata.general?.file_type),
        parameters: insights.totalParameters,
        trainContextLength: insights.trainContextSize ?? null,
        kvBytesPerToken: kvCacheBytesPerToken(info.metadata, validation.architecture),
        fileSize,
      };
    } catch (error) {
      return {
        ok: false,
        reason: `unreadable GGUF: ${(error as Error).message}`,
        architecture: null,
        fileSize,
      };
    }
  }

  async estimateMemory(path: string, options: EstimateOptions): Promise<number> {
    const llama = await this.#getLlama();
    const insights = await GgufInsights.from(await readGgufFileInfo(path, { logWarnings: false }), llama);
    const gpuLayers = llama.gpu === false ? 0 : resolveGpuLayers(options.gpuLayers, insights.totalLayers);
    const modelNeeds = await insights.estimateModelResourceRequirementsV2({ gpuLayers });
    const contextNeeds = await insights.estimateContextResourceRequirementsV2({
      contextSize: options.contextSize,
      sequences: options.sequences,
      modelGpuLayers: gpuLayers,
      flashAttention: insights.flashAttentionSupported,
    });
    return llama.gpu === false
      ? modelNeeds.cpuRam + contextNeeds.cpuRam
      : modelNeeds.gpuVram + contextNeeds.gpuVram;
  }

  async load(path: string, options: LoadOptions): Promise<EngineModel> {
    const llama = await this.#getLlama();
    const model = await llama.loadModel({
      modelPath: path,
      gpuLayers: llama.gpu === false ? 0 : options.gpuLayers,
      ...(options.signal ? { loadSignal: options.signal } : {}),
      ...(options.onProgress ? { onLoadProgress: options.onProgress } : {}),
    });
    try {
      const context = await model.createContext({
        contextSize: options.contextSize,
        sequences: options.sequences,
        threads: this.#options.threads.batch,
        // ~1.8x faster prompt processing for long prompts on CPU (a 12k-token prompt: 11.1 s → 6.3 s);
        // node-llama-cpp ignores it for models that do not support it.
        flashAttention: true,
        failedCreationRemedy: false,
        // The default strategy leaves generating sequences out of batches while a long prompt is evaluated.
        batching: { itemPrioritizationStrategy: fairBatchStrategy },
      });
      // Resolving runs the Jinja equivalence checks (150–640 ms): once per model, never per request.
      const wrapper = resolveChatWrapper(model);
      const kv = this.#options.kvTier?.();
      const file = await stat(path);
      const states = kv?.tier.forModel(
        options.modelId ?? path,
        {
          model: { path, size: file.size, mtimeMs: file.mtimeMs },
          context: {
            contextSize: context.contextSize,
            flashAttention: context.flashAttention === true,
            kvCacheKeyType: String(context.kvCacheKeyType ?? "default"),
            kvCacheValueType: String(context.kvCacheValueType ?? "default"),
          },
          loadId: randomUUID(),
        },
        kv.minTokens,
      );
      return new LlamaCppModel({
        llama,
        model,
        context,
        wrapper,
        queueLimit: this.#options.queueLimit,
        threads: this.#options.threads,
        sequences: options.sequences,
        log: this.#options.log,
        ...(states && kv ? { states, restorePolicy: kv.restore } : {}),
      });
    } catch (error) {
      await model.dispose();
      throw error;
    }
  }

  async dispose(): Promise<void> {
    if (this.#llama) await (await this.#llama).dispose();
  }
}

function resolveGpuLayers(gpuLayers: EstimateOptions["gpuLayers"], totalLayers: number): number {
  if (typeof gpuLayers === "number") return Math.min(gpuLayers, totalLayers);
  return totalLayers;
}

async function totalSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
