import { ggufMetadata, type SynthQuant } from "./model/gguf-metadata.js";
import type { ModelParts } from "./model/model-parts.js";
import { GGUF_DEFAULT_ALIGNMENT } from "./gguf/gguf-types.js";
import { writeGguf, type GgufTensor } from "./gguf/write-gguf.js";
import type { WrittenModel } from "./written-model.js";

/** Writes the model as one GGUF file at `path`. */
export async function synthGguf(
  parts: ModelParts,
  quant: SynthQuant,
  path: string,
  omitKeys: readonly string[],
): Promise<WrittenModel> {
  const omitted = new Set(omitKeys);
  const metadata = ggufMetadata(parts.shape, quant, parts.vocabulary, parts.chatTemplate).filter(
    (entry) => !omitted.has(entry.key),
  );
  const tensors: GgufTensor[] = parts.tensors.map((tensor) => ({
    name: tensor.name,
    dims: tensor.dims,
    type: tensor.alwaysF32 ? "f32" : quant,
    rows: parts.rows(tensor),
  }));
  const bytes = await writeGguf(path, metadata, tensors, GGUF_DEFAULT_ALIGNMENT);
  return { bytes, tensorCount: tensors.length, files: [""] };
}
