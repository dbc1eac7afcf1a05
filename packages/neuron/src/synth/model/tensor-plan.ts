import type { ModelShape } from "./model-shape.js";

/** How a tensor's values are made (see weight-rows.ts). */
export type TensorRole =
  | { readonly kind: "embedding" }
  | { readonly kind: "output" }
  | { readonly kind: "norm" }
  /** `writesResidual`: its rows are hidden dims (output projections), so reserved dims get zero rows. */
  | { readonly kind: "matrix"; readonly fanIn: number; readonly writesResidual: boolean };

export interface PlannedTensor {
  readonly name: string;
  /** ggml order, ne0 innermost. */
  readonly dims: readonly number[];
  readonly role: TensorRole;
  /** Norms and the MoE router stay F32 whatever the file's quantization. */
  readonly alwaysF32: boolean;
}

/** The full tensor set of docs/node-llama-cpp.md §2.2 for the shape's architecture. */
export function planTensors(shape: ModelShape, vocabSize: number): PlannedTensor[] {
  const { hidden, heads, kvHeads, headDim } = shape;
  const qWidth = heads * headDim;
  const kvWidth = kvHeads * headDim;
  const matrix = (name: string, dims: number[], writesResidual = false): PlannedTensor => ({
    name,
    dims,
    role: { kind: "matrix", fanIn: dims[0] ?? 1, writesResidual },
    alwaysF32: false,
  });
  const norm = (name: string, width: number): PlannedTensor => ({
    name,
    dims: [width],
    role: { kind: "norm" },
    alwaysF32: true,
  });

  const tensors: PlannedTensor[] = [
    { name: "token_embd.weight", dims: [hidden, vocabSize], role: { kind: "embedding" }, alwaysF32: false },
  ];
  for (let layer = 0; layer < shape.layers; layer++) {
    const blk = `blk.${layer}`;
    tensors.push(
      norm(`${blk}.attn_norm.weight`, hidden),
      matrix(`${blk}.attn_q.weight`, [hidden, qWidth]),
      matrix(`${blk}.attn_k.weight`, [hidden, kvWidth]),
      matrix(`${blk}.attn_v.weight`, [hidden, kvWidth]),
      matrix(`${blk}.attn_output.weight`, [qWidth, hidden], true),
    );
    if (shape.arch !== "llama") {
      tensors.push(norm(`${blk}.attn_q_norm.weight`, headDim), norm(`${blk}.attn_k_norm.weight`, headDim));
    }
    tensors.push(norm(`${blk}.ffn_norm.weight`, hidden));
    if (shape.arch === "qwen3moe") {
      const { experts, expertFfn } = shape;
      tensors.push(
        { ...matrix(`${blk}.ffn_gate_inp.weight`, [hidden, experts]), alwaysF32: true },
        matrix(`${blk}.ffn_gate_exps.weight`, [hidden, expertFfn, experts]),
        matrix(`${blk}.ffn_up_exps.weight`, [hidden, expertFfn, experts]),
        matrix(`${blk}.ffn_down_exps.weight`, [expertFfn, hidden, experts], true),
      );
    } else {
      tensors.push(
        matrix(`${blk}.ffn_gate.weight`, [hidden, shape.ffn]),
        matrix(`${blk}.ffn_up.weight`, [hidden, shape.ffn]),
        matrix(`${blk}.ffn_down.weight`, [shape.ffn, hidden], true),
      );
    }
  }
  tensors.push(norm("output_norm.weight", hidden), {
    name: "output.weight",
    dims: [hidden, vocabSize],
    role: { kind: "output" },
    alwaysF32: false,
  });
  return tensors;
}

export function tensorValueCount(tensor: PlannedTensor): number {
  return tensor.dims.reduce((a, b) => a * b, 1);
}
