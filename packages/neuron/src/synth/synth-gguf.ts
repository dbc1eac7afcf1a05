import { ggufMetadata, type SynthQuant } from "./model/gguf-metadata.js";
import type { ModelParts } from "./model/model-parts.js";
import { GGUF_DEFAULT_ALIGNMENT, gguf, type GgufKeyValue } from "./gguf/gguf-types.js";
import { writeGguf, type GgufTensor } from "./gguf/write-gguf.js";
import type { WrittenModel } from "./synth-options.js";

/** Writes the model as one GGUF file at `path`. */
export async function synthGguf(
  parts: ModelParts,
  quant: SynthQuant,
  path: string,
  omitKeys: readonly string[],
): Promise<WrittenModel> {
  const { metadata, tensors } = ggufContent(parts, quant, omitKeys);
  const bytes = await writeGguf(path, metadata, tensors, GGUF_DEFAULT_ALIGNMENT);
  return { bytes, tensorCount: tensors.length, files: [""] };
}

/**
 * Writes the model as a split set the way llama.cpp's gguf-split does: `<stem>-00001-of-0000N.gguf`
 * holds every metadata key, each part has `split.no` (0-based), `split.count` and `split.tensors.count`
 * (u16, u16, i32: llama.cpp's loader checks the types), and the tensors are spread over the parts in
 * order. `partPath(name)` says where a part named `name` is written.
 */
export async function synthSplitGguf(
  parts: ModelParts,
  quant: SynthQuant,
  stem: string,
  splits: number,
  partPath: (name: string) => string,
  omitKeys: readonly string[],
): Promise<WrittenModel> {
  const { metadata, tensors } = ggufContent(parts, quant, omitKeys);
  if (splits > tensors.length) {
    throw new Error(`cannot split ${tensors.length} tensors into ${splits} GGUF files`);
  }
  const files: string[] = [];
  let bytes = 0;
  for (let index = 0; index < splits; index++) {
    const from = Math.floor((index * tensors.length) / splits);
    const to = Math.floor(((index + 1) * tensors.length) / splits);
    const splitKeys: GgufKeyValue[] = [
      { key: "split.no", value: gguf.u16(index) },
      { key: "split.count", value: gguf.u16(splits) },
      { key: "split.tensors.count", value: gguf.i32(tensors.length) },
    ];
    const name = splitGgufName(stem, index + 1, splits);
    bytes += await writeGguf(
      partPath(name),
      index === 0 ? [...metadata, ...splitKeys] : splitKeys,
      tensors.slice(from, to),
      GGUF_DEFAULT_ALIGNMENT,
    );
    files.push(name);
  }
  return { bytes, tensorCount: tensors.length, files };
}

/** `model-00002-of-00003.gguf`: the name llama.cpp derives every part's path from. */
export function splitGgufName(stem: string, part: number, count: number): string {
  return `${stem}-${String(part).padStart(5, "0")}-of-${String(count).padStart(5, "0")}.gguf`;
}

function ggufContent(
  parts: ModelParts,
  quant: SynthQuant,
  omitKeys: readonly string[],
): { metadata: GgufKeyValue[]; tensors: GgufTensor[] } {
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
  return { metadata, tensors };
}
