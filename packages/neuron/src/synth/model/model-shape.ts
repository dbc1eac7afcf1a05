export type SynthArch = "llama" | "qwen3" | "qwen3moe";
export type SynthSize = "tiny" | "small";

/** Hyperparameters of one generated model; every width is a multiple of 32 so Q8_0 works. */
export interface ModelShape {
  readonly arch: SynthArch;
  readonly size: SynthSize;
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** feed_forward_length; for MoE the (unused) dense width, as real Qwen3-MoE files carry one. */
  readonly ffn: number;
  readonly experts: number;
  readonly expertsUsed: number;
  readonly expertFfn: number;
  readonly rmsEps: number;
  readonly ropeBase: number;
  readonly contextLength: number;
}

type ShapeCore = Omit<ModelShape, "arch" | "size" | "contextLength">;

const dense = { experts: 0, expertsUsed: 0, expertFfn: 0 };
const llamaNorms = { rmsEps: 1e-5, ropeBase: 500_000 };
const qwenNorms = { rmsEps: 1e-6, ropeBase: 1_000_000 };

/**
 * tiny: the shapes of docs/node-llama-cpp.md §2.2 (qwen's head_dim 32 differs from hidden/heads on purpose, so
 * key_length matters). small: ~100–200 MB at f16, enough to feel like a model in the demo.
 */
const SHAPES: Readonly<Record<SynthSize, Readonly<Record<SynthArch, ShapeCore>>>> = {
  tiny: {
    llama: { hidden: 64, layers: 2, heads: 4, kvHeads: 2, headDim: 16, ffn: 128, ...dense, ...llamaNorms },
    qwen3: { hidden: 64, layers: 2, heads: 4, kvHeads: 2, headDim: 32, ffn: 128, ...dense, ...qwenNorms },
    qwen3moe: {
      hidden: 64,
      layers: 2,
      heads: 4,
      kvHeads: 2,
      headDim: 32,
      ffn: 128,
      experts: 4,
      expertsUsed: 2,
      expertFfn: 64,
      ...qwenNorms,
    },
  },
  small: {
    llama: {
      hidden: 1024,
      layers: 8,
      heads: 16,
      kvHeads: 4,
      headDim: 64,
      ffn: 2560,
      ...dense,
      ...llamaNorms,
    },
    qwen3: {
      hidden: 1024,
      layers: 8,
      heads: 16,
      kvHeads: 4,
      headDim: 128,
      ffn: 1536,
      ...dense,
      ...qwenNorms,
    },
    qwen3moe: {
      hidden: 1024,
      layers: 6,
      heads: 16,
      kvHeads: 4,
      headDim: 128,
      ffn: 640,
      experts: 8,
      expertsUsed: 2,
      expertFfn: 320,
      ...qwenNorms,
    },
  },
};

export function modelShape(arch: SynthArch, size: SynthSize, contextLength: number): ModelShape {
  return { arch, size, contextLength, ...SHAPES[size][arch] };
}
