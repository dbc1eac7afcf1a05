import { basename } from "node:path";
import { encodedByteLength } from "../synth/encode/tensor-encoding.js";
import { HfModelError } from "./hf-model-error.js";
import {
  isSupportedModelType,
  modelTypeOf,
  unsupportedModelTypeReason,
  type HfModelType,
} from "./hf/hf-model-config.js";
import { readHfConfigJson, readHfFolder } from "./hf/read-hf-folder.js";
import { elements, type ConvertTarget } from "./plan/gguf-tensor-plan.js";
import { prepareConversion } from "./prepare-conversion.js";

/** What the registry lists for an HF folder before (or without) converting it. */
export type HfFolderInspection =
  | {
      readonly ok: true;
      readonly modelType: HfModelType;
      /** The checkpoint dtype ("BF16"), or the conversion target when one is forced ("Q8_0"). */
      readonly quantization: string;
      readonly parameters: number;
      readonly trainContextLength: number;
      readonly weightFileBytes: number;
      /** Tensor bytes of the GGUF the conversion will write. */
      readonly ggufWeightBytes: number;
      /** F16 K + V for one token in every layer (llama.cpp's default KV cache type). */
      readonly kvBytesPerToken: number;
    }
  | {
      readonly ok: false;
      /** The model type is missing or outside the supported set (as opposed to a broken supported model). */
      readonly unsupported: boolean;
      readonly modelType: string | null;
      readonly reason: string;
    };

/**
 * Everything that can be checked without reading tensor data: config.json, every safetensors header
 * (against the file sizes), shapes against config.json, the tokenizer. Never throws for a bad folder.
 */
export async function inspectHfFolder(
  dir: string,
  target: ConvertTarget = "auto",
): Promise<HfFolderInspection> {
  let modelType: string | null = null;
  try {
    modelType = modelTypeOf(await readHfConfigJson(dir));
    if (!isSupportedModelType(modelType)) {
      return { ok: false, unsupported: true, modelType, reason: unsupportedModelTypeReason(modelType) };
    }
    const folder = await readHfFolder(dir);
    const { config, plan } = prepareConversion(folder, { target, name: basename(dir) });
    return {
      ok: true,
      modelType,
      quantization: target === "auto" ? plan.sourceDtype : target.toUpperCase(),
      parameters: plan.parameters,
      trainContextLength: config.contextLength,
      weightFileBytes: folder.weightFileBytes,
      ggufWeightBytes: plan.tensors.reduce((sum, t) => sum + encodedByteLength(t.type, elements(t.dims)), 0),
      kvBytesPerToken: config.layers * config.kvHeads * config.headDim * 2 * 2,
    };
  } catch (error) {
    const reason =
      error instanceof HfModelError ? error.message : `cannot read the folder: ${(error as Error).message}`;
    return { ok: false, unsupported: false, modelType, reason };
  }
}

/**
 * Before conversion: weights at the target dtype + the KV cache for the configured context × sequences.
 * It leaves out llama.cpp's compute buffers (a few MB to a few hundred MB); once the GGUF exists the
 * engine's own estimate, which includes them, replaces this one.
 */
export function estimateHfMemory(
  inspection: Extract<HfFolderInspection, { ok: true }>,
  options: { contextSize: number; sequences: number },
): number {
  return inspection.ggufWeightBytes + inspection.kvBytesPerToken * options.contextSize * options.sequences;
}
