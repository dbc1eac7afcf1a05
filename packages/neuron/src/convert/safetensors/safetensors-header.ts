import { HfModelError } from "../hf-model-error.js";

/** One tensor as a safetensors header describes it; offsets are absolute file positions. */
export interface SafetensorsTensor {
  readonly dtype: string;
  /** Row-major (PyTorch) order: the last dim is the contiguous one. */
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  /** File offset of the data section (8 + header length). */
  readonly dataStart: number;
  readonly tensors: ReadonlyMap<string, SafetensorsTensor>;
}

/** The reference implementation refuses headers above 100 MB; a bigger length means a corrupt file. */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

const ITEM_BYTES: Readonly<Record<string, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
};

/**
 * Pure: validates a safetensors header (the JSON after the 8-byte little-endian length) against the
 * file size, so a truncated or corrupt file is caught at scan time, before any conversion starts.
 */
export function parseSafetensorsHeader(
  json: string,
  headerLength: number,
  fileSize: number,
  file: string,
): SafetensorsHeader {
  const dataStart = 8 + headerLength;
  const dataBytes = fileSize - dataStart;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new HfModelError(`${file} is corrupt: its header is not JSON`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new HfModelError(`${file} is corrupt: its header is not a JSON object`);
  }
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, value] of Object.entries(parsed)) {
    if (name === "__metadata__") continue;
    const tensor = tensorEntry(value, dataStart);
    if (tensor === null) throw new HfModelError(`${file} is corrupt: bad header entry for ${name}`);
    const itemBytes = ITEM_BYTES[tensor.dtype];
    const expected = itemBytes === undefined ? null : tensor.shape.reduce((a, b) => a * b, itemBytes);
    if (expected !== null && expected !== tensor.end - tensor.begin) {
      throw new HfModelError(
        `${file} is corrupt: ${name} is ${tensor.dtype} [${tensor.shape.join(", ")}] (${expected} bytes) ` +
          `but its data_offsets span ${tensor.end - tensor.begin} bytes`,
      );
    }
    if (tensor.end - dataStart > dataBytes) {
      throw new HfModelError(
        `${file} is truncated: ${name} ends at byte ${tensor.end} but the file has ${fileSize} bytes`,
      );
    }
    tensors.set(name, tensor);
  }
  const byStart = [...tensors.entries()].sort(([, a], [, b]) => a.begin - b.begin);
  for (let index = 1; index < byStart.length; index++) {
    const [previousName, previous] = byStart[index - 1] ?? [];
    const [name, current] = byStart[index] ?? [];
    if (previous && current && current.begin < previous.end) {
      throw new HfModelError(`${file} is corrupt: tensors ${previousName} and ${name} overlap`);
    }
  }
  return { dataStart, tensors };
}

function tensorEntry(value: unknown, dataStart: number): SafetensorsTensor | null {
  if (value === null || typeof value !== "object") return null;
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== "string" || !Array.isArray(shape) || !Array.isArray(offsets)) return null;
  if (!shape.every(isCount) || offsets.length !== 2 || !offsets.every(isCount)) return null;
  const [begin, end] = offsets as [number, number];
  if (end < begin) return null;
  return { dtype, shape: shape as number[], begin: dataStart + begin, end: dataStart + end };
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
