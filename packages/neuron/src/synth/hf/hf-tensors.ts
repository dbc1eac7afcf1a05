import { remapRows, type RowSource } from "../encode/row-source.js";
import type { ModelParts } from "../model/model-parts.js";
import type { PlannedTensor } from "../model/tensor-plan.js";

/** A tensor under its Hugging Face name; shape is [out, in] (ggml dims reversed). */
export interface HfTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly rows: RowSource;
}

const LAYER_NAMES: Readonly<Record<string, string>> = {
  attn_norm: "input_layernorm",
  attn_q: "self_attn.q_proj",
  attn_k: "self_attn.k_proj",
  attn_v: "self_attn.v_proj",
  attn_output: "self_attn.o_proj",
  attn_q_norm: "self_attn.q_norm",
  attn_k_norm: "self_attn.k_norm",
  ffn_norm: "post_attention_layernorm",
  ffn_gate: "mlp.gate_proj",
  ffn_up: "mlp.up_proj",
  ffn_down: "mlp.down_proj",
  ffn_gate_inp: "mlp.gate",
};

const EXPERT_NAMES: Readonly<Record<string, string>> = {
  ffn_gate_exps: "gate_proj",
  ffn_up_exps: "up_proj",
  ffn_down_exps: "down_proj",
};

const GLOBAL_NAMES: Readonly<Record<string, string>> = {
  "token_embd.weight": "model.embed_tokens.weight",
  "output_norm.weight": "model.norm.weight",
  "output.weight": "lm_head.weight",
};

/**
 * The same weights as the GGUF, named and laid out as a transformers checkpoint: experts split into
 * one tensor each, and for llama q/k in HF's rotate-half order. llama.cpp's converter permutes
 * q_proj/k_proj (LlamaModel.permute: reshape(n_head, 2, head_dim/2, …).swapaxes(1, 2)), so we store
 * the inverse permutation and a faithful conversion gives back exactly the GGUF rows.
 */
export function hfTensors(parts: ModelParts): HfTensor[] {
  return parts.tensors.flatMap((tensor) => toHf(parts, tensor));
}

function toHf(parts: ModelParts, tensor: PlannedTensor): HfTensor[] {
  const rows = parts.rows(tensor);
  const global = GLOBAL_NAMES[tensor.name];
  if (global !== undefined) return [{ name: global, shape: [...tensor.dims].reverse(), rows }];
  const match = /^blk\.(\d+)\.(\w+)\.weight$/.exec(tensor.name);
  const layer = match?.[1];
  const kind = match?.[2];
  if (layer === undefined || kind === undefined) throw new Error(`no HF name for ${tensor.name}`);
  const prefix = `model.layers.${layer}`;
  const expertName = EXPERT_NAMES[kind];
  if (expertName !== undefined) {
    const [inner = 0, outer = 0, experts = 0] = tensor.dims;
    return Array.from({ length: experts }, (_, expert) => ({
      name: `${prefix}.mlp.experts.${expert}.${expertName}.weight`,
      shape: [outer, inner],
      rows: remapRows(rows, outer, (row) => expert * outer + row),
    }));
  }
  const name = LAYER_NAMES[kind];
  if (name === undefined) throw new Error(`no HF name for ${tensor.name}`);
  const shape = [...tensor.dims].reverse();
  const { arch, heads, kvHeads, headDim } = parts.shape;
  const permuteHeads = arch !== "llama" ? 0 : kind === "attn_q" ? heads : kind === "attn_k" ? kvHeads : 0;
  const hfRows = permuteHeads === 0 ? rows : remapRows(rows, rows.rowCount, unpermuteRow(headDim));
  return [{ name: `${prefix}.${name}.weight`, shape, rows: hfRows }];
}

/** HF row (head h, half j, index i) holds GGUF row (h, i, j): the inverse of convert_hf_to_gguf's permute. */
export function unpermuteRow(headDim: number): (hfRow: number) => number {
  const half = headDim / 2;
  return (hfRow) => {
    const head = Math.floor(hfRow / headDim);
    const within = hfRow % headDim;
    const j = Math.floor(within / half);
    const i = within % half;
    return head * headDim + 2 * i + j;
  };
}
