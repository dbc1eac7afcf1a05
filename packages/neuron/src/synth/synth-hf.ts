import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { encodedRowSourceBytes } from "./encode/row-source.js";
import { hfConfig, hfGenerationConfig } from "./hf/hf-config.js";
import { hfTensors, type HfTensor } from "./hf/hf-tensors.js";
import { hfTokenizerConfig, hfTokenizerJson } from "./hf/hf-tokenizer.js";
import { writeSafetensors, type SafetensorsDtype } from "./hf/write-safetensors.js";
import type { ModelParts } from "./model/model-parts.js";
import type { WrittenModel } from "./synth-options.js";
import { writeFileSynced } from "./encode/durable-files.js";

/** Writes the model as a Hugging Face folder at `dir`. */
export async function synthHf(
  parts: ModelParts,
  dtype: SafetensorsDtype,
  shards: number,
  dir: string,
): Promise<WrittenModel> {
  await mkdir(dir, { recursive: true });
  const tensors = hfTensors(parts);
  const groups = splitIntoShards(tensors, dtype, shards);
  let bytes = 0;
  const files: string[] = [];
  const weightMap: Record<string, string> = {};
  for (const [index, group] of groups.entries()) {
    const file =
      shards === 1 ? "model.safetensors" : `model-${pad5(index + 1)}-of-${pad5(shards)}.safetensors`;
    bytes += await writeSafetensors(join(dir, file), group, dtype);
    files.push(file);
    for (const tensor of group) weightMap[tensor.name] = file;
  }
  const jsonFiles: Record<string, object> = {
    "config.json": hfConfig(parts.shape, parts.vocabulary, dtype),
    "generation_config.json": hfGenerationConfig(parts.vocabulary),
    "tokenizer.json": hfTokenizerJson(parts.vocabulary),
    "tokenizer_config.json": hfTokenizerConfig(
      parts.vocabulary,
      parts.chatTemplate,
      parts.shape.contextLength,
    ),
  };
  if (shards > 1) {
    const totalSize = tensors.reduce((sum, t) => sum + encodedRowSourceBytes(dtype, t.rows), 0);
    jsonFiles["model.safetensors.index.json"] = {
      metadata: { total_size: totalSize },
      weight_map: weightMap,
    };
  }
  for (const [name, content] of Object.entries(jsonFiles)) {
    const text = `${JSON.stringify(content, null, 2)}\n`;
    await writeFileSynced(join(dir, name), text);
    bytes += Buffer.byteLength(text);
    files.push(name);
  }
  return { bytes, tensorCount: tensors.length, files };
}

/** Consecutive groups of about equal byte size, none empty. */
function splitIntoShards(
  tensors: readonly HfTensor[],
  dtype: SafetensorsDtype,
  shards: number,
): HfTensor[][] {
  if (shards > tensors.length)
    throw new Error(`cannot split ${tensors.length} tensors into ${shards} shards`);
  const sizes = tensors.map((t) => encodedRowSourceBytes(dtype, t.rows));
  const total = sizes.reduce((a, b) => a + b, 0);
  const groups: HfTensor[][] = [[]];
  let done = 0;
  tensors.forEach((tensor, index) => {
    const current = groups[groups.length - 1] ?? [];
    const remainingTensors = tensors.length - index;
    const remainingGroups = shards - groups.length;
    const full = done >= (total * groups.length) / shards;
    if (current.length > 0 && remainingGroups > 0 && (full || remainingTensors === remainingGroups)) {
      groups.push([tensor]);
    } else {
      current.push(tensor);
    }
    done += sizes[index] ?? 0;
  });
  return groups;
}

function pad5(value: number): string {
  return String(value).padStart(5, "0");
}
