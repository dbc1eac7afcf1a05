import { encodedByteLength } from "../encode/tensor-encoding.js";
import {
  GGML_TYPE,
  GGUF_MAGIC,
  GGUF_VALUE_TYPE,
  GGUF_VERSION,
  type GgufKeyValue,
  type GgufTensorInfo,
  type GgufValue,
} from "./gguf-types.js";

export interface GgufLayout {
  /** Everything before the tensor data, padding included. */
  readonly header: Buffer;
  /** Per tensor: offset relative to the start of the data section. */
  readonly tensorOffsets: readonly number[];
  readonly tensorBytes: readonly number[];
  readonly totalBytes: number;
}

/** Computes the whole file layout from shapes alone, before any weight exists. */
export function planGgufLayout(
  keyValues: readonly GgufKeyValue[],
  tensors: readonly GgufTensorInfo[],
  alignment: number,
): GgufLayout {
  const tensorBytes = tensors.map((t) =>
    encodedByteLength(
      t.type,
      t.dims.reduce((a, b) => a * b, 1),
    ),
  );
  const tensorOffsets: number[] = [];
  let dataSize = 0;
  for (const bytes of tensorBytes) {
    tensorOffsets.push(dataSize);
    dataSize = alignUp(dataSize + bytes, alignment);
  }
  const out = new ByteBuilder();
  out.raw(Buffer.from(GGUF_MAGIC, "latin1"));
  out.u32(GGUF_VERSION);
  out.u64(tensors.length);
  out.u64(keyValues.length);
  for (const { key, value } of keyValues) {
    out.string(key);
    writeValue(out, value);
  }
  tensors.forEach((tensor, index) => {
    out.string(tensor.name);
    out.u32(tensor.dims.length);
    for (const dim of tensor.dims) out.u64(dim);
    out.u32(GGML_TYPE[tensor.type]);
    out.u64(tensorOffsets[index] ?? 0);
  });
  const headerLength = alignUp(out.length, alignment);
  const header = Buffer.alloc(headerLength);
  out.toBuffer().copy(header);
  // The last tensor needs no trailing padding.
  const lastEnd = tensors.length === 0 ? 0 : (tensorOffsets.at(-1) ?? 0) + (tensorBytes.at(-1) ?? 0);
  return { header, tensorOffsets, tensorBytes, totalBytes: headerLength + lastEnd };
}

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

function writeValue(out: ByteBuilder, value: GgufValue): void {
  out.u32(GGUF_VALUE_TYPE[value.type]);
  switch (value.type) {
    case "u16":
      out.u16(value.value);
      return;
    case "u32":
      out.u32(value.value);
      return;
    case "i32":
      out.i32(value.value);
      return;
    case "f32":
      out.f32(value.value);
      return;
    case "bool":
      out.u8(value.value ? 1 : 0);
      return;
    case "string":
      out.string(value.value);
      return;
    case "array":
      out.u32(GGUF_VALUE_TYPE[value.itemType]);
      out.u64(value.values.length);
      if (value.itemType === "string") {
        for (const item of value.values) out.string(item);
      } else {
        const write = { i32: out.i32, u32: out.u32, f32: out.f32 }[value.itemType].bind(out);
        for (const item of value.values) write(item);
      }
      return;
    default: {
      const never: never = value;
      throw new Error(`unknown GGUF value ${JSON.stringify(never)}`);
    }
  }
}

/** Little-endian append-only byte buffer for the header. */
class ByteBuilder {
  #parts: Buffer[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  raw(bytes: Buffer): void {
    this.#parts.push(bytes);
    this.#length += bytes.length;
  }

  u8(value: number): void {
    this.raw(Buffer.from([value]));
  }

  u16(value: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(value);
    this.raw(b);
  }

  u32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    this.raw(b);
  }

  i32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(value);
    this.raw(b);
  }

  f32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.raw(b);
  }

  u64(value: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(value));
    this.raw(b);
  }

  string(value: string): void {
    const bytes = Buffer.from(value, "utf8");
    this.u64(bytes.length);
    this.raw(bytes);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.#parts, this.#length);
  }
}
