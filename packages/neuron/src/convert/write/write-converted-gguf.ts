import { ChunkedFileWriter } from "../../synth/encode/chunked-file-writer.js";
import { encodedByteLength, encodeValues } from "../../synth/encode/tensor-encoding.js";
import { planGgufLayout } from "../../synth/gguf/gguf-header.js";
import { GGUF_DEFAULT_ALIGNMENT, type GgmlTypeName, type GgufKeyValue } from "../../synth/gguf/gguf-types.js";
import type { PlannedGgufTensor, SourceDtype } from "../plan/gguf-tensor-plan.js";
import { decodeSourceValues } from "./decode-source-values.js";
import { SourceFiles } from "./source-files.js";

/** Where a checkpoint tensor's bytes are: absolute file offsets. */
export interface WeightLocation {
  readonly path: string;
  readonly dtype: SourceDtype;
  readonly begin: number;
  readonly end: number;
}

export interface WriteConvertedGgufOptions {
  readonly path: string;
  readonly keyValues: readonly GgufKeyValue[];
  readonly tensors: readonly PlannedGgufTensor[];
  readonly weights: ReadonlyMap<string, WeightLocation>;
  readonly signal?: AbortSignal;
  /** 0..1, by bytes written. */
  readonly onProgress?: (fraction: number) => void;
  /** Checkpoint bytes read at a time; memory stays near this whatever the tensor sizes. */
  readonly chunkBytes?: number;
}

const DEFAULT_CHUNK_BYTES = 1 << 20;
const ITEM_BYTES: Readonly<Record<SourceDtype, number>> = { F32: 4, F16: 2, BF16: 2 };
const SAME_ENCODING: Readonly<Record<SourceDtype, GgmlTypeName>> = { F32: "f32", F16: "f16", BF16: "bf16" };

/**
 * Streams the GGUF: the header from the synth writer's layout planner (the file size is fixed up front),
 * then each tensor's rows read from the checkpoint in ~1 MiB chunks at their offsets, reordered for
 * llama q/k, re-encoded when the dtype changes, and appended through the synth writer's chunked file
 * writer, whose awaited flushes are the backpressure. Returns the file size.
 */
export async function writeConvertedGguf(options: WriteConvertedGgufOptions): Promise<number> {
  const { path, keyValues, tensors, weights, signal, onProgress } = options;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const layout = planGgufLayout(
    keyValues,
    tensors.map(({ name, dims, type }) => ({ name, dims, type })),
    GGUF_DEFAULT_ALIGNMENT,
  );
  const files = new SourceFiles();
  const writer = await ChunkedFileWriter.create(path);
  const progress = (): void => onProgress?.(writer.position / layout.totalBytes);
  try {
    await writer.write(layout.header);
    const dataStart = layout.header.length;
    for (const [index, tensor] of tensors.entries()) {
      signal?.throwIfAborted();
      await writer.padTo(GGUF_DEFAULT_ALIGNMENT);
      if (writer.position !== dataStart + (layout.tensorOffsets[index] ?? 0)) {
        throw new Error(`tensor ${tensor.name} is not at its planned offset`);
      }
      if (tensor.values !== undefined) {
        await writeValues(writer, tensor.type, tensor.values);
        continue;
      }
      for (const source of tensor.sources) {
        const weight = weights.get(source);
        if (weight === undefined) throw new Error(`no location for checkpoint tensor ${source}`);
        await copyRows(writer, files, weight, tensor, chunkBytes, signal, progress);
      }
    }
  } catch (error) {
    await writer.abandon();
    throw error;
  } finally {
    await files.close();
  }
  await writer.close();
  if (writer.position !== layout.totalBytes) {
    throw new Error(`wrote ${writer.position} bytes, planned ${layout.totalBytes}`);
  }
  onProgress?.(1);
  return writer.position;
}

async function copyRows(
  writer: ChunkedFileWriter,
  files: SourceFiles,
  weight: WeightLocation,
  tensor: PlannedGgufTensor,
  chunkBytes: number,
  signal: AbortSignal | undefined,
  progress: () => void,
): Promise<void> {
  const rowBytes = (tensor.dims[0] ?? 1) * ITEM_BYTES[weight.dtype];
  const rows = (weight.end - weight.begin) / rowBytes;
  // A permuted tensor is reordered within each head, so chunks hold whole heads.
  const group = tensor.permuteHeads > 0 ? rows / tensor.permuteHeads : 1;
  const rowsPerChunk = Math.max(group, Math.floor(chunkBytes / rowBytes / group) * group);
  for (let row = 0; row < rows; row += rowsPerChunk) {
    signal?.throwIfAborted();
    const count = Math.min(rowsPerChunk, rows - row);
    const raw = await files.read(weight.path, weight.begin + row * rowBytes, count * rowBytes);
    const ordered = tensor.permuteHeads > 0 ? permuteHeadRows(raw, rowBytes, group) : raw;
    if (SAME_ENCODING[weight.dtype] === tensor.type) await writer.write(ordered);
    else await writeValues(writer, tensor.type, decodeSourceValues(weight.dtype, ordered));
    progress();
  }
}

async function writeValues(
  writer: ChunkedFileWriter,
  type: GgmlTypeName,
  values: Float32Array,
): Promise<void> {
  const bytes = encodedByteLength(type, values.length);
  const { buffer, offset } = await writer.reserve(bytes);
  encodeValues(type, values, buffer, offset);
  writer.commit(bytes);
}

/**
 * convert_hf_to_gguf.py's LlamaModel.permute on whole rows, per head of `headRows` rows:
 * `w.reshape(n_head, 2, head_dim // 2, …).swapaxes(1, 2)`, i.e. GGUF row 2i + j of a head is HF row
 * j · head_dim/2 + i (HF keeps the rotate-half layout, llama.cpp's RoPE wants interleaved pairs).
 */
export function permuteHeadRows(raw: Buffer, rowBytes: number, headRows: number): Buffer {
  const out = Buffer.alloc(raw.length);
  const half = headRows / 2;
  const heads = raw.length / rowBytes / headRows;
  for (let head = 0; head < heads; head++) {
    for (let row = 0; row < headRows; row++) {
      const from = head * headRows + (row % 2) * half + Math.floor(row / 2);
      const to = head * headRows + row;
      raw.copy(out, to * rowBytes, from * rowBytes, (from + 1) * rowBytes);
    }
  }
  return out;
}
