import { endianness } from "node:os";
import { bfloat16FromFloat32Bits, float16FromFloat32Bits, toFloat16Bits } from "./half-float.js";

/** Element encodings we write: the GGUF ones (F32, F16, Q8_0) and, for safetensors, BF16. */
export type TensorEncoding = "f32" | "f16" | "bf16" | "q8_0";

export const Q8_0_BLOCK_VALUES = 32;
export const Q8_0_BLOCK_BYTES = 34;

// The bulk paths copy typed-array memory as is, which is only the file's little-endian layout on LE hosts.
if (endianness() !== "LE") throw new Error("synthetic model writing needs a little-endian host");

export function encodedByteLength(encoding: TensorEncoding, valueCount: number): number {
  switch (encoding) {
    case "f32":
      return valueCount * 4;
    case "f16":
    case "bf16":
      return valueCount * 2;
    case "q8_0":
      if (valueCount % Q8_0_BLOCK_VALUES !== 0) {
        throw new Error(`Q8_0 needs a multiple of ${Q8_0_BLOCK_VALUES} values, got ${valueCount}`);
      }
      return (valueCount / Q8_0_BLOCK_VALUES) * Q8_0_BLOCK_BYTES;
    default: {
      const never: never = encoding;
      throw new Error(`unknown encoding ${String(never)}`);
    }
  }
}

/** Encodes `values` into `target` at `offset` (little-endian); returns the bytes written. */
export function encodeValues(
  encoding: TensorEncoding,
  values: Float32Array,
  target: Buffer,
  offset: number,
): number {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  switch (encoding) {
    case "f32":
      target.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), offset);
      return values.byteLength;
    case "f16":
    case "bf16": {
      const convert = encoding === "f16" ? float16FromFloat32Bits : bfloat16FromFloat32Bits;
      const halves = new Uint16Array(values.length);
      for (let i = 0; i < values.length; i++) halves[i] = convert(bits[i] ?? 0);
      target.set(new Uint8Array(halves.buffer), offset);
      return halves.byteLength;
    }
    case "q8_0":
      return encodeQ8_0(values, target, offset);
    default: {
      const never: never = encoding;
      throw new Error(`unknown encoding ${String(never)}`);
    }
  }
}

/**
 * ggml's reference Q8_0: per 32 values an fp16 scale d = amax/127 and int8 round(x/d). The f32 rounding
 * steps mirror quantize_row_q8_0_ref (roundf rounds half away from zero), so llama.cpp would produce
 * the same bytes.
 */
function encodeQ8_0(values: Float32Array, target: Buffer, offset: number): number {
  const blocks = encodedByteLength("q8_0", values.length) / Q8_0_BLOCK_BYTES;
  for (let block = 0; block < blocks; block++) {
    const start = block * Q8_0_BLOCK_VALUES;
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK_VALUES; j++) amax = Math.max(amax, Math.abs(values[start + j] ?? 0));
    const d = Math.fround(amax / 127);
    const inverse = d !== 0 ? Math.fround(1 / d) : 0;
    const blockOffset = offset + block * Q8_0_BLOCK_BYTES;
    const scale = toFloat16Bits(d);
    target[blockOffset] = scale & 0xff;
    target[blockOffset + 1] = scale >>> 8;
    for (let j = 0; j < Q8_0_BLOCK_VALUES; j++) {
      const scaled = Math.fround((values[start + j] ?? 0) * inverse);
      const rounded = scaled < 0 ? -Math.round(-scaled) : Math.round(scaled);
      target[blockOffset + 2 + j] = rounded & 0xff;
    }
  }
  return blocks * Q8_0_BLOCK_BYTES;
}
