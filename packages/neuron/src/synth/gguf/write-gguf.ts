import { ChunkedFileWriter } from "../encode/chunked-file-writer.js";
import { writeRowSource, type RowSource } from "../encode/row-source.js";
import { planGgufLayout } from "./gguf-header.js";
import type { GgufKeyValue, GgufTensorInfo } from "./gguf-types.js";

export interface GgufTensor extends GgufTensorInfo {
  readonly rows: RowSource;
}

/**
 * Writes a GGUF v3 file tensor by tensor. The layout (and so the file size) is fixed up front from the
 * shapes; the data is generated row by row while writing.
 */
export async function writeGguf(
  path: string,
  keyValues: readonly GgufKeyValue[],
  tensors: readonly GgufTensor[],
  alignment: number,
): Promise<number> {
  for (const tensor of tensors) {
    const values = tensor.dims.reduce((a, b) => a * b, 1);
    if (tensor.rows.rowLength !== tensor.dims[0] || tensor.rows.rowLength * tensor.rows.rowCount !== values) {
      throw new Error(`tensor ${tensor.name}: rows do not match dims [${tensor.dims.join(", ")}]`);
    }
  }
  const layout = planGgufLayout(keyValues, tensors, alignment);
  const writer = await ChunkedFileWriter.create(path);
  try {
    await writer.write(layout.header);
    const dataStart = layout.header.length;
    for (const [index, tensor] of tensors.entries()) {
      await writer.padTo(alignment);
      if (writer.position !== dataStart + (layout.tensorOffsets[index] ?? 0)) {
        throw new Error(`tensor ${tensor.name} is not at its planned offset`);
      }
      await writeRowSource(writer, tensor.type, tensor.rows);
    }
  } catch (error) {
    await writer.abandon();
    throw error;
  }
  await writer.close();
  if (writer.position !== layout.totalBytes) {
    throw new Error(`wrote ${writer.position} bytes, planned ${layout.totalBytes}`);
  }
  return writer.position;
}
