import type { ChunkedFileWriter } from "./chunked-file-writer.js";
import { encodedByteLength, encodeValues, type TensorEncoding } from "./tensor-encoding.js";

/**
 * A tensor as rows of its innermost dimension, produced on demand. Rows are independent (each has its
 * own seed), so a writer can stream them, and the HF writer can reorder or slice them.
 */
export interface RowSource {
  readonly rowLength: number;
  readonly rowCount: number;
  fillRow(index: number, out: Float32Array): void;
}

/** Maps each target row to a row of another source (slicing experts, permuting q/k heads). */
export function remapRows(
  source: RowSource,
  rowCount: number,
  sourceRow: (row: number) => number,
): RowSource {
  return {
    rowLength: source.rowLength,
    rowCount,
    fillRow: (index, out) => source.fillRow(sourceRow(index), out),
  };
}

export function encodedRowSourceBytes(encoding: TensorEncoding, source: RowSource): number {
  return encodedByteLength(encoding, source.rowLength * source.rowCount);
}

/** Streams every row of `source`, encoded, into `writer`. */
export async function writeRowSource(
  writer: ChunkedFileWriter,
  encoding: TensorEncoding,
  source: RowSource,
): Promise<void> {
  const row = new Float32Array(source.rowLength);
  const rowBytes = encodedByteLength(encoding, source.rowLength);
  for (let index = 0; index < source.rowCount; index++) {
    source.fillRow(index, row);
    const { buffer, offset } = await writer.reserve(rowBytes);
    encodeValues(encoding, row, buffer, offset);
    writer.commit(rowBytes);
  }
}
