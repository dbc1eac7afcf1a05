import type { RowSource } from "../encode/row-source.js";
import { combineSeeds, hashString, SeededRandom } from "../random/seeded-random.js";
import type { ModelShape } from "./model-shape.js";
import type { Steering } from "./steering.js";
import type { PlannedTensor } from "./tensor-plan.js";

export interface WeightContext {
  readonly seed: number;
  readonly shape: ModelShape;
  readonly steering: Steering;
}

/**
 * The values of one tensor, row by row. Each row is seeded from (seed, tensor name, row), so any row
 * can be produced alone, in any order: the GGUF and HF writers see the same weights.
 *
 * Init (docs/node-llama-cpp.md §2.4): N(0, 1/fan_in) matrices, N(0, 1) token embeddings, output std 0.8/√hidden
 * (0.1 for the tiny models; scaling keeps the logit noise independent of width), norms 1.
 */
export function tensorRows(tensor: PlannedTensor, context: WeightContext): RowSource {
  const rowLength = tensor.dims[0] ?? 1;
  const rowCount = tensor.dims.slice(1).reduce((a, b) => a * b, 1);
  const random = new SeededRandom(0);
  const nameHash = hashString(tensor.name);
  const { hidden } = context.shape;
  const { steering } = context;
  const fillGaussian = (row: number, out: Float32Array, std: number): void => {
    random.reseed(combineSeeds(context.seed, nameHash, row));
    for (let i = 0; i < out.length; i++) out[i] = random.nextGaussian() * std;
  };
  const role = tensor.role;
  switch (role.kind) {
    case "norm":
      return { rowLength, rowCount, fillRow: (_row, out) => out.fill(1) };
    case "embedding":
      return {
        rowLength,
        rowCount,
        fillRow(row, out) {
          fillGaussian(row, out, 1);
          steering.applyToEmbedding(row, out);
        },
      };
    case "output": {
      const std = 0.8 / Math.sqrt(hidden);
      return {
        rowLength,
        rowCount,
        fillRow(row, out) {
          if (steering.isSpecial(row)) out.fill(0);
          else fillGaussian(row, out, std);
          steering.applyToOutput(row, out);
        },
      };
    }
    case "matrix": {
      const std = 1 / Math.sqrt(role.fanIn);
      return {
        rowLength,
        rowCount,
        fillRow(row, out) {
          if (role.writesResidual && row % hidden < steering.reservedDims) out.fill(0);
          else fillGaussian(row, out, std);
        },
      };
    }
    default: {
      const never: never = role;
      throw new Error(`unknown tensor role ${JSON.stringify(never)}`);
    }
  }
}
