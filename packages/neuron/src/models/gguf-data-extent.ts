/**
 * Where a GGUF file's tensor data must end, from its tensor table alone, so a file cut short (an
 * interrupted download or copy) is listed as failed at scan time instead of failing when llama.cpp
 * loads it (issue 11, finding 10). Pure: no I/O.
 */

/**
 * ggml's [elements per block, bytes per block] by GGML type id: ggml's type traits, as node-llama-cpp
 * 3.21.1's bundled llama.cpp reports them (`test/unit/gguf-data-extent.test.ts` compares every entry
 * with the binding, so a change fails loudly). Types missing here (removed or repacked ones) count as
 * zero bytes: a lower bound, never a false alarm.
 */
export const GGML_TYPE_LAYOUT: Readonly<Record<number, readonly [number, number]>> = {
  0: [1, 4], // F32
  1: [1, 2], // F16
  2: [32, 18], // Q4_0
  3: [32, 20], // Q4_1
  6: [32, 22], // Q5_0
  7: [32, 24], // Q5_1
  8: [32, 34], // Q8_0
  9: [32, 36], // Q8_1
  10: [256, 84], // Q2_K
  11: [256, 110], // Q3_K
  12: [256, 144], // Q4_K
  13: [256, 176], // Q5_K
  14: [256, 210], // Q6_K
  15: [256, 292], // Q8_K
  16: [256, 66], // IQ2_XXS
  17: [256, 74], // IQ2_XS
  18: [256, 98], // IQ3_XXS
  19: [256, 50], // IQ1_S
  20: [32, 18], // IQ4_NL
  21: [256, 110], // IQ3_S
  22: [256, 82], // IQ2_S
  23: [256, 136], // IQ4_XS
  24: [1, 1], // I8
  25: [1, 2], // I16
  26: [1, 4], // I32
  27: [1, 8], // I64
  28: [1, 8], // F64
  29: [256, 56], // IQ1_M
  30: [1, 2], // BF16
  34: [256, 54], // TQ1_0
  35: [256, 66], // TQ2_0
  39: [32, 17], // MXFP4
};

export interface TensorExtentInfo {
  readonly ggmlType: number;
  readonly dimensions: readonly (number | bigint)[];
  /** Absolute offset of the tensor's data in its file. */
  readonly fileOffset: number | bigint;
  /** 1-based part of a split set; 1 for a single file. */
  readonly filePart: number;
}

/** Bytes of one tensor's data; 0 for a type this table does not know. */
export function tensorDataBytes(tensor: Pick<TensorExtentInfo, "ggmlType" | "dimensions">): number {
  const layout = GGML_TYPE_LAYOUT[tensor.ggmlType];
  if (!layout) return 0;
  const [blockElements, blockBytes] = layout;
  const elements = tensor.dimensions.reduce<number>((product, dimension) => product * Number(dimension), 1);
  return Math.ceil(elements / blockElements) * blockBytes;
}

/** Per file part (1-based): the byte where its last tensor's data ends. */
export function requiredPartBytes(tensors: readonly TensorExtentInfo[]): Map<number, number> {
  const required = new Map<number, number>();
  for (const tensor of tensors) {
    const end = Number(tensor.fileOffset) + tensorDataBytes(tensor);
    required.set(tensor.filePart, Math.max(required.get(tensor.filePart) ?? 0, end));
  }
  return required;
}

/** Why the files cannot hold their tensors, or null. `partBytes[i]` is part i + 1's size. */
export function truncationProblem(
  tensors: readonly TensorExtentInfo[],
  partBytes: readonly number[],
): string | null {
  for (const [part, end] of requiredPartBytes(tensors)) {
    const size = partBytes[part - 1] ?? 0;
    if (size < end) {
      const which = partBytes.length > 1 ? ` (part ${part} of ${partBytes.length})` : "";
      return (
        `truncated GGUF: tensor data ends at byte ${end} but the file has ${size} bytes${which}; ` +
        `an interrupted download or copy? Fetch the file again`
      );
    }
  }
  return null;
}
