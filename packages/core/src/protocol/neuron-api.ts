import { z } from "zod";
import { KvCacheReportSchema, PrefixReportSchema } from "./prefix-fingerprints.js";

/**
 * The neuron's own HTTP protocol (lifecycle, discovery, tokenize). Strict: both ends are ours, so a
 * mismatch is a bug we want to see, not something to paper over.
 */

export const MODEL_STATES = [
  "unloaded",
  "loading",
  "loaded",
  "unloading",
  "failed",
  "converting",
  /** Being pulled from Hugging Face; not servable until it is "unloaded". */
  "downloading",
] as const;
export const ModelStateSchema = z.enum(MODEL_STATES);
export type ModelState = z.infer<typeof ModelStateSchema>;

export const ModelSourceSchema = z.enum(["gguf", "safetensors"]);
export type ModelSource = z.infer<typeof ModelSourceSchema>;

export const NeuronModelSchema = z.object({
  id: z.string(),
  source: ModelSourceSchema,
  architecture: z.string().nullable(),
  quantization: z.string().nullable(),
  file_size: z.number(),
  parameters: z.number().nullable(),
  /** The model's trained context length. */
  train_context_length: z.number().nullable(),
  /** The context a load will use (configured or default), in tokens. */
  context_length: z.number().nullable(),
  /** Bytes a load is expected to take (weights + KV cache for the configured context and sequences). */
  memory_estimate: z.number().nullable(),
  state: ModelStateSchema,
  /** 0..1 while loading or converting. */
  progress: z.number().nullable(),
  last_used: z.number().nullable(),
  /** Requests accepted for the model: generating, or waiting for a sequence (`queued` counts those). */
  in_flight: z.number(),
  /** Of `in_flight`, the requests waiting for a sequence. */
  queued: z.number(),
  error: z.string().nullable(),
  /** Set while the model is pulled from Hugging Face (and when that pull failed). */
  download: z
    .object({
      repo: z.string(),
      /** The commit the files come from. */
      revision: z.string(),
      bytes_done: z.number(),
      bytes_total: z.number(),
    })
    .optional(),
  /** The model's KV state tier while it is loaded (absent when the tier is off or the engine has none). */
  kv_cache: KvCacheReportSchema.optional(),
  /** Prefixes this node serves fast for the model while it is loaded (docs/architecture.md). */
  prefixes: PrefixReportSchema.optional(),
  /**
   * Sequences (parallel requests) the model has or will have once loaded. A gateway holds requests
   * beyond them in its own priority queue; absent (older neurons), it sends them on and the node queues.
   */
  sequences: z.number().int().positive().optional(),
  /** Measured prompt evaluation speed of the loaded model (median of recent requests); null before any. */
  prefill_tokens_per_s: z.number().nonnegative().nullable().optional(),
  /**
   * A runtime pin (`cortex pin` / `unpin`) the node holds for every gateway in front of it: true never
   * evict, false not pinned whatever models.toml says; null (or absent, older neurons) when none was set.
   */
  pinned: z.boolean().nullable().optional(),
});
export type NeuronModel = z.infer<typeof NeuronModelSchema>;

export const NeuronModelsResponseSchema = z.object({
  node: z.string(),
  models: z.array(NeuronModelSchema),
  /** Files and folders in models_dir that cannot be served, with why. */
  unsupported: z.array(z.object({ path: z.string(), reason: z.string() })),
});
export type NeuronModelsResponse = z.infer<typeof NeuronModelsResponseSchema>;

export const GpuDeviceSchema = z.object({
  index: z.number(),
  name: z.string(),
  vram_total: z.number(),
  vram_free: z.number(),
});
export type GpuDevice = z.infer<typeof GpuDeviceSchema>;

export const BackendSchema = z.enum(["cuda", "vulkan", "metal", "cpu"]);
export type Backend = z.infer<typeof BackendSchema>;

export const NeuronInfoSchema = z.object({
  node: z.string(),
  version: z.string(),
  backend: BackendSchema,
  gpus: z.array(GpuDeviceSchema),
  ram_total: z.number(),
  ram_free: z.number(),
  cpu_threads: z.number(),
  /** Threads single-token decode uses (configured or auto). */
  threads: z.number(),
  /** Threads prompt evaluation uses (configured or auto); absent from neurons before per-phase threads. */
  batch_threads: z.number().optional(),
  parallel: z.number(),
  memory: z.object({
    /** What models may use on this node: VRAM on GPU nodes, RAM or the configured budget on CPU nodes. */
    total: z.number(),
    /** Reserved by loaded and loading models. */
    used: z.number(),
    free: z.number(),
    headroom: z.number(),
    source: z.enum(["vram", "ram", "budget"]),
    /**
     * RAM the KV state tier holds where it shares the budget (CPU nodes). Not in `used`: it is counted as
     * free, because a load takes it back (docs/decisions.md).
     */
    kv_cache: z.number().optional(),
  }),
  supported: z.object({
    gguf_architectures: z.array(z.string()),
    hf_model_types: z.array(z.string()),
  }),
  unsupported: z.array(z.object({ path: z.string(), reason: z.string() })),
});
export type NeuronInfo = z.infer<typeof NeuronInfoSchema>;

export const LoadRequestSchema = z.object({
  model: z.string().min(1),
  context_size: z.number().int().positive().optional(),
  gpu_layers: z.number().int().nonnegative().optional(),
});
export type LoadRequest = z.infer<typeof LoadRequestSchema>;

export const UnloadRequestSchema = z.object({
  model: z.string().min(1),
  force: z.boolean().optional(),
});
export type UnloadRequest = z.infer<typeof UnloadRequestSchema>;

/** `POST /models/pin`: sets (or, with `pinned: null`, clears) the model's runtime pin. */
export const PinRequestSchema = z.object({
  model: z.string().min(1),
  pinned: z.boolean().nullable(),
});
export type PinRequest = z.infer<typeof PinRequestSchema>;

export const LifecycleResponseSchema = z.object({ model: NeuronModelSchema });
export type LifecycleResponse = z.infer<typeof LifecycleResponseSchema>;

/** `POST /models/pull`: a Hugging Face repo and, for GGUF repos, which file (by name or quant tag). */
export const PullRequestSchema = z.object({
  repo: z.string().min(1),
  file: z.string().min(1).optional(),
  quant: z.string().min(1).optional(),
  revision: z.string().min(1).optional(),
});
export type PullRequest = z.infer<typeof PullRequestSchema>;

/** 202 while downloading (follow it in `GET /models`), 200 when the model was already there. */
export const PullResponseSchema = z.object({ model: NeuronModelSchema });
export type PullResponse = z.infer<typeof PullResponseSchema>;

/** `DELETE /models/{id}`: a pulled model's files are gone (or its pull was cancelled). */
export const DeleteResponseSchema = z.object({ model: z.string(), deleted: z.literal(true) });
export type DeleteResponse = z.infer<typeof DeleteResponseSchema>;

export const TokenizeRequestSchema = z.union([
  z.object({ model: z.string().min(1), prompt: z.string() }),
  /** `messages` in OpenAI chat shape; `tools` too, so counts match what the model will see. */
  z.object({
    model: z.string().min(1),
    messages: z.array(z.unknown()),
    tools: z.array(z.unknown()).optional(),
  }),
]);
export type TokenizeRequest = z.infer<typeof TokenizeRequestSchema>;

export const TokenizeResponseSchema = z.object({
  model: z.string(),
  count: z.number(),
  tokens: z.array(z.number()),
});
export type TokenizeResponse = z.infer<typeof TokenizeResponseSchema>;

export const SUPPORTED_GGUF_ARCHITECTURES = ["llama", "qwen3", "qwen3moe"] as const;
export const SUPPORTED_HF_MODEL_TYPES = ["llama", "qwen3", "qwen3_moe"] as const;

/**
 * Non-streaming neuron answers carry their generation timings (milliseconds) in these headers, so the
 * gateway can record TTFT and decode speed for requests it cannot time by their first byte.
 */
export const TIMING_HEADERS = {
  ttft: "x-cortex-ttft-ms",
  decode: "x-cortex-decode-ms",
} as const;
