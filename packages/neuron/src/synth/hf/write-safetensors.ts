import { ChunkedFileWriter } from "../encode/chunked-file-writer.js";
import { encodedRowSourceBytes, writeRowSource } from "../encode/row-source.js";
import type { HfTensor } from "./hf-tensors.js";

export type SafetensorsDtype = "f32" | "f16" | "bf16";

const DTYPE_NAMES: Readonly<Record<SafetensorsDtype, string>> = { f32: "F32", f16: "F16", bf16: "BF16" };

/**
 * The safetensors header: 8-byte LE length, then JSON with dtype/shape/data_offsets per tensor
 * (offsets relative to the end of the header), padded with spaces to 8 bytes as the reference writer does.
 */
export function safetensorsHeader(tensors: readonly HfTensor[], dtype: SafetensorsDtype): Buffer {
  const entries: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let offset = 0;
  for (const tensor of tensors) {
    const bytes = encodedRowSourceBytes(dtype, tensor.rows);
    entries[tensor.name] = {
      dtype: DTYPE_NAMES[dtype],
      shape: tensor.shape,
      data_offsets: [offset, offset + bytes],
    };
    offset += bytes;
  }
  let json = JSON.stringify(entries);
  json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const header = Buffer.alloc(8 + Buffer.byteLength(json));
  header.writeBigUInt64LE(BigInt(Buffer.byteLength(json)), 0);
  header.write(json, 8, "utf8");
  return header;
}

/** Streams one safetensors file; returns its size. */
export async function writeSafetensors(
  path: string,
  tensors: readonly HfTensor[],
  dtype: SafetensorsDtype,
): Promise<number> {
  const writer = await ChunkedFileWriter.create(path);
  try {
    await writer.write(safetensorsHeader(tensors, dtype));
    for (const tensor of tensors) await writeRowSource(writer, dtype, tensor.rows);
  } catch (error) {
    await writer.abandon();
    throw error;
  }
  await writer.close();
  return writer.position;
}
