import { SUPPORTED_HF_MODEL_TYPES } from "@cortex/core";
import { HfModelError } from "../hf-model-error.js";

export type HfModelType = (typeof SUPPORTED_HF_MODEL_TYPES)[number];
export type GgufArchitecture = "llama" | "qwen3" | "qwen3moe";

const ARCHITECTURES: Readonly<Record<HfModelType, GgufArchitecture>> = {
  llama: "llama",
  qwen3: "qwen3",
  qwen3_moe: "qwen3moe",
};

export type RopeScaling =
  | { readonly type: "linear"; readonly factor: number }
  | { readonly type: "yarn"; readonly factor: number; readonly originalContext: number }
  | {
      readonly type: "llama3";
      readonly factor: number;
      readonly lowFreqFactor: number;
      readonly highFreqFactor: number;
      readonly originalContext: number;
    };

/** config.json reduced to what the GGUF needs, with transformers' class defaults filled in. */
export interface HfModelConfig {
  readonly modelType: HfModelType;
  readonly arch: GgufArchitecture;
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** intermediate_size; for MoE the dense width real Qwen3-MoE configs also carry. */
  readonly ffn: number;
  readonly rmsEps: number;
  readonly ropeTheta: number;
  readonly ropeScaling: RopeScaling | null;
  readonly contextLength: number;
  /** Rows of the embedding; null when config.json does not say (the tensor decides). */
  readonly vocabSize: number | null;
  readonly tieEmbeddings: boolean;
  readonly experts: number;
  readonly expertsUsed: number;
  readonly expertFfn: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
}

/** Defaults of LlamaConfig / Qwen3Config / Qwen3MoeConfig for keys a config.json may leave out. */
const DEFAULTS: Readonly<Record<HfModelType, { rmsEps: number; ropeTheta: number; context: number }>> = {
  llama: { rmsEps: 1e-6, ropeTheta: 10_000, context: 2048 },
  qwen3: { rmsEps: 1e-6, ropeTheta: 10_000, context: 32_768 },
  qwen3_moe: { rmsEps: 1e-6, ropeTheta: 10_000, context: 32_768 },
};

export function isSupportedModelType(modelType: unknown): modelType is HfModelType {
  return typeof modelType === "string" && Object.hasOwn(ARCHITECTURES, modelType);
}

/** The model_type of a parsed config.json, or null when it has none. */
export function modelTypeOf(config: unknown): string | null {
  const value = isRecord(config) ? config.model_type : undefined;
  return typeof value === "string" ? value : null;
}

export function unsupportedModelTypeReason(modelType: string | null): string {
  const supported = SUPPORTED_HF_MODEL_TYPES.join(", ");
  return modelType === null
    ? `Hugging Face folder without a model_type in config.json (supported model types: ${supported})`
    : `Hugging Face model_type ${JSON.stringify(modelType)} is not supported (supported: ${supported})`;
}

/** Pure: config.json → HfModelConfig, or an HfModelError naming the key that is wrong. */
export function parseHfConfig(config: unknown): HfModelConfig {
  if (!isRecord(config)) throw new HfModelError("config.json is not a JSON object");
  const modelType = modelTypeOf(config);
  if (!isSupportedModelType(modelType)) throw new HfModelError(unsupportedModelTypeReason(modelType));
  const defaults = DEFAULTS[modelType];
  const hidden = count(config, "hidden_size");
  const layers = count(config, "num_hidden_layers");
  const heads = count(config, "num_attention_heads");
  const kvHeads = count(config, "num_key_value_heads", heads);
  if (heads % kvHeads !== 0) {
    throw new HfModelError(
      `config.json: num_key_value_heads (${kvHeads}) must divide num_attention_heads (${heads})`,
    );
  }
  const headDim = count(config, "head_dim", hidden / heads);
  if (headDim % 2 !== 0) throw new HfModelError(`config.json: head_dim (${headDim}) must be even for RoPE`);
  const moe = modelType === "qwen3_moe";
  if (moe) checkQwen3MoeLayout(config);
  const rope = ropeOf(config, defaults.ropeTheta);
  return {
    modelType,
    arch: ARCHITECTURES[modelType],
    hidden,
    layers,
    heads,
    kvHeads,
    headDim,
    ffn: count(config, "intermediate_size"),
    rmsEps: positive(config, "rms_norm_eps", defaults.rmsEps),
    ropeTheta: rope.theta,
    ropeScaling: rope.scaling,
    contextLength: count(config, "max_position_embeddings", defaults.context),
    vocabSize: optionalCount(config, "vocab_size"),
    tieEmbeddings: config.tie_word_embeddings === true,
    experts: moe ? count(config, "num_experts") : 0,
    expertsUsed: moe ? count(config, "num_experts_per_tok") : 0,
    expertFfn: moe ? count(config, "moe_intermediate_size") : 0,
    bosTokenId: firstTokenId(config.bos_token_id),
    eosTokenId: firstTokenId(config.eos_token_id),
    padTokenId: firstTokenId(config.pad_token_id),
  };
}

/** llama.cpp's qwen3moe graph has a routed MoE block in every layer and always renormalizes top-k. */
function checkQwen3MoeLayout(config: Record<string, unknown>): void {
  const onlyMlp = config.mlp_only_layers;
  if (Array.isArray(onlyMlp) && onlyMlp.length > 0) {
    throw new HfModelError("config.json: mlp_only_layers (dense layers inside a MoE model) is not supported");
  }
  if (config.decoder_sparse_step !== undefined && config.decoder_sparse_step !== 1) {
    throw new HfModelError("config.json: decoder_sparse_step other than 1 is not supported");
  }
  if (config.norm_topk_prob === false) {
    throw new HfModelError("config.json: norm_topk_prob false is not supported (llama.cpp renormalizes)");
  }
}

/** rope_theta and rope_scaling, also in the newer `rope_parameters` form. */
function ropeOf(
  config: Record<string, unknown>,
  defaultTheta: number,
): { theta: number; scaling: RopeScaling | null } {
  const parameters = isRecord(config.rope_parameters) ? config.rope_parameters : {};
  const theta = positive(
    { rope_theta: config.rope_theta ?? parameters.rope_theta },
    "rope_theta",
    defaultTheta,
  );
  const raw = config.rope_scaling ?? (isRecord(config.rope_parameters) ? config.rope_parameters : null);
  if (raw === null || raw === undefined) return { theta, scaling: null };
  if (!isRecord(raw)) throw new HfModelError("config.json: rope_scaling must be an object or null");
  const type = raw.rope_type ?? raw.type ?? "default";
  switch (type) {
    case "default":
      return { theta, scaling: null };
    case "linear":
      return { theta, scaling: { type: "linear", factor: positive(raw, "factor") } };
    case "yarn":
      return {
        theta,
        scaling: {
          type: "yarn",
          factor: positive(raw, "factor"),
          originalContext: count(raw, "original_max_position_embeddings"),
        },
      };
    case "llama3":
      return {
        theta,
        scaling: {
          type: "llama3",
          factor: positive(raw, "factor", 8),
          lowFreqFactor: positive(raw, "low_freq_factor", 1),
          highFreqFactor: positive(raw, "high_freq_factor", 4),
          originalContext: count(raw, "original_max_position_embeddings", 8192),
        },
      };
    default:
      throw new HfModelError(
        `config.json: rope_scaling type ${JSON.stringify(type)} is not supported (supported: linear, yarn, llama3)`,
      );
  }
}

function count(record: Record<string, unknown>, key: string, fallback?: number): number {
  const value = record[key] ?? fallback;
  if (value === undefined) throw new HfModelError(`config.json: missing ${key}`);
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new HfModelError(`config.json: ${key} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function optionalCount(record: Record<string, unknown>, key: string): number | null {
  return record[key] === undefined || record[key] === null ? null : count(record, key);
}

function positive(record: Record<string, unknown>, key: string, fallback?: number): number {
  const value = record[key] ?? fallback;
  if (value === undefined) throw new HfModelError(`config.json: missing ${key}`);
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new HfModelError(`config.json: ${key} must be a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Token ids in config.json may be a number, a list (several EOS ids) or null. */
function firstTokenId(value: unknown): number | null {
  const first = Array.isArray(value) ? (value as unknown[])[0] : value;
  return typeof first === "number" && Number.isSafeInteger(first) && first >= 0 ? first : null;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
