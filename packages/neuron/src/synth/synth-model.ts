import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { modelName } from "./model/gguf-metadata.js";
import { publish, syncDirectory } from "./encode/durable-files.js";
import { buildModelParts } from "./model/model-parts.js";
import { synthGguf, synthSplitGguf } from "./synth-gguf.js";
import { synthHf } from "./synth-hf.js";
import {
  resolveSynthOptions,
  type SynthFormat,
  type SynthOptions,
  type WrittenModel,
} from "./synth-options.js";

export interface SynthResult {
  /** The GGUF file (the first part of a split set), or the HF folder. */
  readonly path: string;
  /** Total bytes written. */
  readonly bytes: number;
  readonly parameters: number;
  readonly vocabSize: number;
  /** general.name, e.g. `tiny-random-qwen3`. */
  readonly name: string;
  readonly format: SynthFormat;
  /** Tensors written; in HF folders every expert is its own tensor. */
  readonly tensorCount: number;
  /** Every file written: the GGUF file, the parts of a split set, or the folder's files. */
  readonly files: readonly string[];
}

/**
 * Generates a random-weight model. The output appears atomically: it is written under a temporary
 * name next to `out` and renamed when complete, so readers never see a half-written model. An
 * existing HF folder at `out` is replaced.
 */
export async function synthModel(options: SynthOptions): Promise<SynthResult> {
  const resolved = resolveSynthOptions(options);
  const parts = buildModelParts(resolved);
  await mkdir(dirname(resolved.out), { recursive: true });
  if (resolved.format === "gguf" && resolved.splits > 1) return synthSplit(resolved, parts);
  const temporary = temporaryPathFor(resolved.out);
  let written: WrittenModel;
  try {
    if (resolved.format === "gguf") {
      written = await synthGguf(parts, resolved.quant, temporary, resolved.omitKeys);
    } else {
      written = await synthHf(parts, resolved.dtype, resolved.shards, temporary);
      await syncDirectory(temporary);
      await rm(resolved.out, { recursive: true, force: true });
    }
    await publish(temporary, resolved.out);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
  return {
    path: resolved.out,
    bytes: written.bytes,
    parameters: parts.parameters,
    vocabSize: parts.vocabulary.tokens.length,
    name: modelName(parts.shape),
    format: resolved.format,
    tensorCount: written.tensorCount,
    files: written.files.map((file) => (file === "" ? resolved.out : join(resolved.out, file))),
  };
}

/** The parts are written into a temporary folder next to `out` and renamed into place one by one. */
async function synthSplit(
  resolved: ReturnType<typeof resolveSynthOptions>,
  parts: ReturnType<typeof buildModelParts>,
): Promise<SynthResult> {
  const dir = dirname(resolved.out);
  const stem = basename(resolved.out).replace(/\.gguf$/i, "");
  const temporary = temporaryPathFor(resolved.out);
  await mkdir(temporary);
  let written: WrittenModel;
  try {
    written = await synthSplitGguf(
      parts,
      resolved.quant,
      stem,
      resolved.splits,
      (name) => join(temporary, name),
      resolved.omitKeys,
    );
    for (const name of written.files) await publish(join(temporary, name), join(dir, name));
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
  const files = written.files.map((name) => join(dir, name));
  return {
    path: files[0] ?? resolved.out,
    bytes: written.bytes,
    parameters: parts.parameters,
    vocabSize: parts.vocabulary.tokens.length,
    name: modelName(parts.shape),
    format: "gguf",
    tensorCount: written.tensorCount,
    files,
  };
}

/**
 * Hidden, and marked as a writer's temporary with its pid: a crashed run's leftover is never listed as a
 * model (a `.tmp-` folder holds a config.json) and can be told apart from a live writer's.
 */
function temporaryPathFor(out: string): string {
  return join(dirname(out), `.${basename(out)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
}
