import type { GgmlTypeName } from "../../synth/gguf/gguf-types.js";
import type { HfModelConfig } from "../hf/hf-model-config.js";
import { HfModelError } from "../hf-model-error.js";
import { llama3RopeFactors } from "./llama3-rope-factors.js";

/** "auto" keeps the checkpoint's dtype (F32/F16/BF16); the others re-encode every weight matrix. */
export type ConvertTarget = "auto" | "f32" | "f16" | "bf16" | "q8_0";
export const CONVERT_TARGETS: readonly ConvertTarget[] = ["auto", "f32", "f16", "bf16", "q8_0"];

export type SourceDtype = "F32" | "F16" | "BF16";
export const SOURCE_DTYPES: readonly SourceDtype[] = ["F32", "F16", "BF16"];

/** What the plan needs to know of a checkpoint tensor: no file positions, so planning stays pure. */
export interface WeightInfo {
  readonly dtype: string;
  /** Row-major (PyTorch) order. */
  readonly shape: readonly number[];
}

export interface PlannedGgufTensor {
  readonly name: string;
  /** ggml order, ne0 innermost (the HF shape reversed, plus the expert dim for stacked experts). */
  readonly dims: readonly number[];
  readonly type: GgmlTypeName;
  /** HF tensors whose rows, concatenated, are this tensor's rows (experts stack along ne2). */
  readonly sources: readonly string[];
  /** llama q/k: the head count of convert_hf_to_gguf.py's permute; 0 = rows as they are. */
  readonly permuteHeads: number;
  /** Tensors computed from config.json instead of read (llama3 rope_freqs). */
  readonly values?: Float32Array;
}

export interface TensorPlan {
  readonly tensors: readonly PlannedGgufTensor[];
  readonly parameters: number;
  /** Rows of token_embd: the GGUF vocabulary must have exactly this many tokens. */
  readonly vocabRows: number;
  /** The dtype most of the checkpoint's bytes are in, for `/models`' quantization. */
  readonly sourceDtype: SourceDtype;
  /** general.file_type (LLAMA_FTYPE_*). */
  readonly fileType: number;
}

const FILE_TYPE: Readonly<Record<Exclude<ConvertTarget, "auto">, number>> = {
  f32: 0,
  f16: 1,
  q8_0: 7,
  bf16: 32,
};
const OUTPUT_OF: Readonly<Record<SourceDtype, Exclude<ConvertTarget, "auto" | "q8_0">>> = {
  F32: "f32",
  F16: "f16",
  BF16: "bf16",
};
const ITEM_BYTES: Readonly<Record<SourceDtype, number>> = { F32: 4, F16: 2, BF16: 2 };
const Q8_0_BLOCK = 32;

/** Checkpoint tensors llama.cpp does not need and its converter skips too. */
const IGNORED = /\.rotary_emb\.inv_freq$/;

/**
 * Pure: config.json + the checkpoint's tensor names and shapes → the GGUF tensors, named and shaped
 * as llama.cpp expects (docs/node-llama-cpp.md §2.2). Every tensor must have the shape config.json implies, and every
 * checkpoint tensor must be used, so a mismatched or foreign checkpoint fails here with its name.
 */
export function planGgufTensors(
  config: HfModelConfig,
  weights: ReadonlyMap<string, WeightInfo>,
  target: ConvertTarget,
): TensorPlan {
  const used = new Set<string>();
  const embedding = weights.get("model.embed_tokens.weight");
  if (embedding === undefined) throw new HfModelError("the checkpoint has no model.embed_tokens.weight");
  const vocabRows = embedding.shape[0] ?? 0;
  if (config.vocabSize !== null && vocabRows !== config.vocabSize) {
    throw new HfModelError(
      `model.embed_tokens.weight has ${vocabRows} rows but config.json says vocab_size ${config.vocabSize}`,
    );
  }
  const sourceDtype = dominantDtype(weights);
  const take = (name: string, shape: readonly number[]): WeightInfo => {
    const weight = weights.get(name);
    if (weight === undefined) throw new HfModelError(`the checkpoint has no ${name}`);
    if (!(SOURCE_DTYPES as readonly string[]).includes(weight.dtype)) {
      throw new HfModelError(`${name} is ${weight.dtype}; only F32, F16 and BF16 checkpoints are supported`);
    }
    if (weight.shape.length !== shape.length || weight.shape.some((dim, index) => dim !== shape[index])) {
      throw new HfModelError(
        `${name} has shape [${weight.shape.join(", ")}] but config.json implies [${shape.join(", ")}]`,
      );
    }
    used.add(name);
    return weight;
  };
  const outputType = (
    dims: readonly number[],
    dtypes: readonly string[],
    alwaysF32: boolean,
  ): GgmlTypeName => {
    // Norms, the router and 1-D tensors stay F32, as convert_hf_to_gguf.py keeps them.
    if (alwaysF32 || dims.length === 1) return "f32";
    if (target === "q8_0") return (dims[0] ?? 0) % Q8_0_BLOCK === 0 ? "q8_0" : "f16";
    if (target !== "auto") return target;
    const [first] = dtypes;
    return dtypes.every((dtype) => dtype === first) ? OUTPUT_OF[first as SourceDtype] : "f32";
  };
  const tensors: PlannedGgufTensor[] = [];
  const add = (
    name: string,
    hfName: string,
    shape: readonly number[],
    options: { permuteHeads?: number; alwaysF32?: boolean } = {},
  ): void => {
    const weight = take(hfName, shape);
    const dims = [...shape].reverse();
    tensors.push({
      name,
      dims,
      type: outputType(dims, [weight.dtype], options.alwaysF32 ?? false),
      sources: [hfName],
      permuteHeads: options.permuteHeads ?? 0,
    });
  };
  const addExperts = (name: string, prefix: string, projection: string, shape: readonly number[]): void => {
    const sources = Array.from(
      { length: config.experts },
      (_, expert) => `${prefix}.mlp.experts.${expert}.${projection}.weight`,
    );
    const dtypes = sources.map((source) => take(source, shape).dtype);
    const dims = [...[...shape].reverse(), config.experts];
    tensors.push({ name, dims, type: outputType(dims, dtypes, false), sources, permuteHeads: 0 });
  };

  const { hidden, heads, kvHeads, headDim } = config;
  const llama = config.arch === "llama";
  if (config.ropeScaling?.type === "llama3") {
    const values = llama3RopeFactors({ headDim, ropeTheta: config.ropeTheta, ...config.ropeScaling });
    tensors.push({
      name: "rope_freqs.weight",
      dims: [values.length],
      type: "f32",
      sources: [],
      permuteHeads: 0,
      values,
    });
  }
  add("token_embd.weight", "model.embed_tokens.weight", [vocabRows, hidden]);
  for (let layer = 0; layer < config.layers; layer++) {
    const prefix = `model.layers.${layer}`;
    const blk = `blk.${layer}`;
    add(`${blk}.attn_norm.weight`, `${prefix}.input_layernorm.weight`, [hidden]);
    add(`${blk}.attn_q.weight`, `${prefix}.self_attn.q_proj.weight`, [heads * headDim, hidden], {
      permuteHeads: llama ? heads : 0,
    });
    add(`${blk}.attn_k.weight`, `${prefix}.self_attn.k_proj.weight`, [kvHeads * headDim, hidden], {
      permuteHeads: llama ? kvHeads : 0,
    });
    add(`${blk}.attn_v.weight`, `${prefix}.self_attn.v_proj.weight`, [kvHeads * headDim, hidden]);
    add(`${blk}.attn_output.weight`, `${prefix}.self_attn.o_proj.weight`, [hidden, heads * headDim]);
    if (!llama) {
      add(`${blk}.attn_q_norm.weight`, `${prefix}.self_attn.q_norm.weight`, [headDim]);
      add(`${blk}.attn_k_norm.weight`, `${prefix}.self_attn.k_norm.weight`, [headDim]);
    }
    add(`${blk}.ffn_norm.weight`, `${prefix}.post_attention_layernorm.weight`, [hidden]);
    if (config.arch === "qwen3moe") {
      const { experts, expertFfn } = config;
      add(`${blk}.ffn_gate_inp.weight`, `${prefix}.mlp.gate.weight`, [experts, hidden], { alwaysF32: true });
      addExperts(`${blk}.ffn_gate_exps.weight`, prefix, "gate_proj", [expertFfn, hidden]);
      addExperts(`${blk}.ffn_up_exps.weight`, prefix, "up_proj", [expertFfn, hidden]);
      addExperts(`${blk}.ffn_down_exps.weight`, prefix, "down_proj", [hidden, expertFfn]);
    } else {
      add(`${blk}.ffn_gate.weight`, `${prefix}.mlp.gate_proj.weight`, [config.ffn, hidden]);
      add(`${blk}.ffn_up.weight`, `${prefix}.mlp.up_proj.weight`, [config.ffn, hidden]);
      add(`${blk}.ffn_down.weight`, `${prefix}.mlp.down_proj.weight`, [hidden, config.ffn]);
    }
  }
  add("output_norm.weight", "model.norm.weight", [hidden]);
  if (config.tieEmbeddings) {
    // Some tied checkpoints still save the (identical) head; llama.cpp reuses token_embd without it.
    if (weights.has("lm_head.weight")) used.add("lm_head.weight");
  } else if (weights.has("lm_head.weight")) {
    add("output.weight", "lm_head.weight", [vocabRows, hidden]);
  } else {
    throw new HfModelError(
      "the checkpoint has no lm_head.weight and config.json does not tie the embeddings",
    );
  }
  const unexpected = [...weights.keys()].filter((name) => !used.has(name) && !IGNORED.test(name));
  if (unexpected.length > 0) {
    const more = unexpected.length > 3 ? ` and ${unexpected.length - 3} more` : "";
    throw new HfModelError(
      `the checkpoint has tensors a ${config.modelType} model does not: ${unexpected.slice(0, 3).join(", ")}${more}`,
    );
  }
  return {
    tensors,
    parameters: tensors.reduce((sum, tensor) => sum + elements(tensor.dims), 0),
    vocabRows,
    sourceDtype,
    fileType: FILE_TYPE[target === "auto" ? OUTPUT_OF[sourceDtype] : target],
  };
}

export function elements(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function dominantDtype(weights: ReadonlyMap<string, WeightInfo>): SourceDtype {
  const bytes = new Map<SourceDtype, number>();
  for (const weight of weights.values()) {
    const dtype = weight.dtype as SourceDtype;
    if (!SOURCE_DTYPES.includes(dtype)) continue;
    bytes.set(dtype, (bytes.get(dtype) ?? 0) + elements(weight.shape) * ITEM_BYTES[dtype]);
  }
  return [...bytes.entries()].sort(([, a], [, b]) => b - a)[0]?.[0] ?? "F32";
}
