import { fromFloat16Bits } from "../../synth/encode/half-float.js";
import type { SourceDtype } from "../plan/gguf-tensor-plan.js";

let halfTable: Float32Array | undefined;

/** All 65536 binary16 values as float32: one lookup per value instead of a float decode. */
function float16Table(): Float32Array {
  if (halfTable === undefined) {
    halfTable = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) halfTable[bits] = fromFloat16Bits(bits);
  }
  return halfTable;
}

/**
 * Little-endian checkpoint bytes → float32 values. Exact for all three dtypes (F16 and BF16 are subsets
 * of float32), so re-encoding a value in its own dtype gives back the same bits.
 */
export function decodeSourceValues(dtype: SourceDtype, bytes: Uint8Array): Float32Array {
  // Copy into a fresh, aligned buffer: a read buffer's byteOffset need not be a multiple of 4.
  const copy = new Uint8Array(bytes);
  switch (dtype) {
    case "F32":
      return new Float32Array(copy.buffer, 0, copy.length / 4);
    case "F16": {
      const halves = new Uint16Array(copy.buffer, 0, copy.length / 2);
      const table = float16Table();
      const values = new Float32Array(halves.length);
      for (let index = 0; index < halves.length; index++) values[index] = table[halves[index] ?? 0] ?? 0;
      return values;
    }
    case "BF16": {
      const halves = new Uint16Array(copy.buffer, 0, copy.length / 2);
      const bits = new Uint32Array(halves.length);
      for (let index = 0; index < halves.length; index++) bits[index] = (halves[index] ?? 0) << 16;
      return new Float32Array(bits.buffer);
    }
    default: {
      const never: never = dtype;
      throw new Error(`unknown source dtype ${String(never)}`);
    }
  }
}
