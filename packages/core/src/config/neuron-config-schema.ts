import { join } from "node:path";
import { z } from "zod";
import { configTable } from "./config-table.js";
import type { DeepReadonly } from "./validate-config.js";
import { parseByteSize } from "./byte-size.js";
import { describeTomlValue } from "./format-config-issues.js";
import {
  byteSize,
  duration,
  filePath,
  integer,
  listenAddress,
  nodeName,
  nonEmptyString,
  tomlValue,
} from "./config-values.js";

export const GPU_SETTINGS = ["auto", "cuda", "vulkan", "metal", "cpu"] as const;
export type GpuSetting = (typeof GPU_SETTINGS)[number];

/** "auto" lets the engine fit as many layers as memory allows; "max" offloads every layer. */
export type GpuLayers = "auto" | "max" | number;

function gpuLayers() {
  return tomlValue((value): GpuLayers => {
    if (value === "auto" || value === "max") return value;
    if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
    throw new Error(`expected "auto", "max" or an integer >= 0 (got ${describeTomlValue(value)})`);
  });
}

const parallel = () => integer({ min: 1, max: 64 });

/** `"auto"` (stored as 0, the engine resolves it) or a thread count; `zero` also accepts 0 for auto. */
function threadCount({ zero }: { zero: boolean }) {
  return tomlValue((value): number => {
    if (value === "auto") return 0;
    if (
      typeof value === "number" &&
      Number.isSafeInteger(value) &&
      value >= (zero ? 0 : 1) &&
      value <= 1024
    ) {
      return value;
    }
    throw new Error(
      `expected "auto" or an integer from ${zero ? 0 : 1} to 1024${zero ? " (0 = auto)" : ""} (got ${describeTomlValue(value)})`,
    );
  });
}

const modelOverrideSchema = configTable({
  context_size: integer({ min: 1 }).optional(),
  gpu_layers: gpuLayers().optional(),
  parallel: parallel().optional(),
}).transform((table) => ({
  contextSize: table.context_size,
  gpuLayers: table.gpu_layers,
  parallel: table.parallel,
}));

/** `"auto"` or a byte size. */
function autoOrBytes() {
  return tomlValue((value): number | "auto" => {
    if (value === "auto") return value;
    if (typeof value !== "string" && typeof value !== "number") {
      throw new Error(`expected "auto" or a byte size like "2GiB" (got ${describeTomlValue(value)})`);
    }
    try {
      return parseByteSize(value);
    } catch (error) {
      throw new Error(`expected "auto" or a byte size: ${(error as Error).message}`);
    }
  });
}

function kvCacheSchema(baseDir: string) {
  return configTable({
    ram: autoOrBytes().prefault("auto"),
    disk: byteSize().prefault("8GiB"),
    dir: filePath(baseDir).optional(),
    min_tokens: integer({ min: 1 }).prefault(256),
    restore: z.enum(["auto", "always"]).default("auto"),
  });
}

export interface NeuronConfigContext {
  /** Relative paths in the file resolve against this (the file's directory, or cwd without a file). */
  readonly baseDir: string;
  /** The node name when the file does not give one. */
  readonly hostname: string;
}

/** The schema of neuron.toml. */
export function neuronConfigSchema({ baseDir, hostname }: NeuronConfigContext) {
  return configTable({
    name: nodeName().optional(),
    listen: listenAddress().prefault("0.0.0.0:13131"),
    models_dir: filePath(baseDir).prefault("./models"),
    cache_dir: filePath(baseDir).optional(),
    model_dirs: z.array(filePath(baseDir)).prefault([]),
    hf_cache: z.boolean().default(true),
    hf_cache_dir: filePath(baseDir).optional(),
    threads: threadCount({ zero: true }).prefault("auto"),
    batch_threads: threadCount({ zero: false }).prefault("auto"),
    parallel: parallel().prefault(2),
    context_size: integer({ min: 1 }).prefault(8192),
    memory_budget: byteSize({ min: 1 }).optional(),
    memory_headroom: byteSize().prefault(0),
    gpu: z.enum(GPU_SETTINGS).default("auto"),
    gpu_layers: gpuLayers().prefault("auto"),
    queue_limit: integer({ min: 0 }).prefault(32),
    auth_token: nonEmptyString().optional(),
    request_timeout: duration({ min: 1 }).prefault("60s"),
    max_connections: integer({ min: 1 }).prefault(1024),
    kv_cache: kvCacheSchema(baseDir).prefault({}),
    // zod's record skips a `__proto__` key without a word (smol-toml keeps it as an own key): the override
    // would vanish. Refused by name instead.
    models: z
      .preprocess(
        (value, ctx) => {
          if (typeof value === "object" && value !== null && Object.hasOwn(value, "__proto__")) {
            ctx.addIssue({ code: "custom", message: "__proto__ is not a model id", path: ["__proto__"] });
          }
          return value;
        },
        z.record(z.string(), modelOverrideSchema),
      )
      .prefault({}),
  }).transform((table) => ({
    name: table.name ?? hostname,
    listen: table.listen,
    /** Absolute. */
    modelsDir: table.models_dir,
    /** Absolute; where HF → GGUF conversions are cached. */
    cacheDir: table.cache_dir ?? join(table.models_dir, ".cortex-cache"),
    /** Absolute; more folders served like models_dir (pulls and deletes only touch models_dir). */
    modelDirs: table.model_dirs,
    /** Also serve what the Hugging Face hub cache holds. */
    hfCache: table.hf_cache,
    /** Absolute; undefined = $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
    hfCacheDir: table.hf_cache_dir,
    /** Threads for single-token decode batches; 0 = auto. */
    threads: table.threads,
    /** Threads for batches that evaluate prompt tokens (prefill); 0 = auto. */
    batchThreads: table.batch_threads,
    /** Sequences per loaded model. */
    parallel: table.parallel,
    /** Default context per sequence, in tokens. */
    contextSize: table.context_size,
    /** Bytes models may use on this node; undefined = whatever the hardware has. */
    memoryBudget: table.memory_budget,
    /** Bytes always kept free. */
    memoryHeadroom: table.memory_headroom,
    gpu: table.gpu,
    gpuLayers: table.gpu_layers,
    /** Requests that may wait for a free sequence of one model before a 503. */
    queueLimit: table.queue_limit,
    /** When set, every route but /health needs `Authorization: Bearer <token>`. */
    authToken: table.auth_token,
    /** Milliseconds for a client to send a whole request, headers and body (else 408); not generation. */
    requestTimeout: table.request_timeout,
    /** Concurrent connections; more are closed as they arrive. */
    maxConnections: table.max_connections,
    /** Saved sequence states (tokens + KV) per loaded model: RAM first, then disk (docs/operations.md). */
    kvCache: {
      /** Bytes of RAM; "auto" = 10% of the memory budget (GPU nodes: of host RAM); 0 = no RAM tier. */
      ram: table.kv_cache.ram,
      /** Bytes on disk; 0 = no disk tier. */
      disk: table.kv_cache.disk,
      /** Absolute; each neuron process works in its own subfolder. */
      dir: table.kv_cache.dir ?? join(table.cache_dir ?? join(table.models_dir, ".cortex-cache"), "kv"),
      /** States shorter than this, and gains smaller than this, are not worth a save or a restore. */
      minTokens: table.kv_cache.min_tokens,
      /** "auto": restore when measured faster than evaluating again; "always": whenever min_tokens are spared. */
      restore: table.kv_cache.restore,
    },
    /** Per-model overrides, keyed by model id. */
    models: table.models,
  }));
}

export type NeuronConfig = DeepReadonly<z.output<ReturnType<typeof neuronConfigSchema>>>;
export type NeuronModelOverride = NeuronConfig["models"][string];
