import { randomBytes } from "node:crypto";
import { mkdir, rm, statfs } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { formatBytes } from "@cortex/core";
import { publish } from "../synth/encode/durable-files.js";
import { planGgufLayout } from "../synth/gguf/gguf-header.js";
import { GGUF_DEFAULT_ALIGNMENT } from "../synth/gguf/gguf-types.js";
import { HfModelError } from "./hf-model-error.js";
import { readHfFolder, weightLocations } from "./hf/read-hf-folder.js";
import type { ConvertTarget } from "./plan/gguf-tensor-plan.js";
import { prepareConversion } from "./prepare-conversion.js";
import { writeConvertedGguf } from "./write/write-converted-gguf.js";

export interface ConvertHfFolderOptions {
  /** The Hugging Face folder (config.json, tokenizer files, safetensors). */
  readonly dir: string;
  /** The GGUF to write; it appears only when complete (written under a temporary name, then renamed). */
  readonly out: string;
  /** Default "auto": keep the checkpoint's dtype. */
  readonly target?: ConvertTarget;
  /** general.name; defaults to the folder name. */
  readonly name?: string;
  readonly signal?: AbortSignal;
  /** 0..1 by bytes written. */
  readonly onProgress?: (fraction: number) => void;
  readonly chunkBytes?: number;
}

export interface ConvertHfFolderResult {
  readonly path: string;
  readonly bytes: number;
  readonly architecture: string;
  readonly tensorCount: number;
  readonly parameters: number;
  readonly fileType: number;
}

/** A partial file's name: hidden, and carrying the writer's pid so a crashed writer's leftovers can go. */
export function partialPathFor(out: string): string {
  return join(dirname(out), `.${basename(out)}.partial-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/** HF folder → GGUF, streamed: memory stays around one read chunk, whatever the model size. */
export async function convertHfFolder(options: ConvertHfFolderOptions): Promise<ConvertHfFolderResult> {
  const folder = await readHfFolder(options.dir);
  const { config, plan, keyValues } = prepareConversion(folder, {
    target: options.target ?? "auto",
    name: options.name ?? basename(options.dir),
  });
  const outDir = dirname(options.out);
  await mkdir(outDir, { recursive: true });
  const planned = planGgufLayout(keyValues, plan.tensors, GGUF_DEFAULT_ALIGNMENT).totalBytes;
  await assertDiskSpace(outDir, planned);
  options.signal?.throwIfAborted();
  const partial = partialPathFor(options.out);
  try {
    const bytes = await writeConvertedGguf({
      path: partial,
      keyValues,
      tensors: plan.tensors,
      weights: weightLocations(folder.weights),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.chunkBytes ? { chunkBytes: options.chunkBytes } : {}),
    });
    await publish(partial, options.out);
    return {
      path: options.out,
      bytes,
      architecture: config.arch,
      tensorCount: plan.tensors.length,
      parameters: plan.parameters,
      fileType: plan.fileType,
    };
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

async function assertDiskSpace(dir: string, bytes: number): Promise<void> {
  const stats = await statfs(dir).catch(() => null);
  if (stats === null) return;
  const free = stats.bavail * stats.bsize;
  if (free < bytes) {
    throw new HfModelError(
      `not enough disk space in ${dir} to convert: the GGUF needs ${formatBytes(bytes)}, ${formatBytes(free)} free`,
    );
  }
}
