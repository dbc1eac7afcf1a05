import type { SynthQuant } from "./model/gguf-metadata.js";
import type { SynthArch, SynthSize } from "./model/model-shape.js";

export type SynthFormat = "gguf" | "hf";
export type SynthDtype = "f32" | "f16" | "bf16";

export interface SynthOptions {
  readonly arch: SynthArch;
  readonly size?: SynthSize;
  /** GGUF weight type; norms and the MoE router are always F32. */
  readonly quant?: SynthQuant;
  readonly seed?: number;
  /** Replies end with EOS after a sentence (demo models); without it they run to max tokens. */
  readonly ends?: boolean;
  readonly format?: SynthFormat;
  /** GGUF: the file path. HF: the folder. */
  readonly out: string;
  /** Train context written into the metadata; the default lets 76 kB prompts fit. */
  readonly contextLength?: number;
  /** HF only: number of safetensors shards. */
  readonly shards?: number;
  /**
   * GGUF only: write a split set of this many files (`<stem>-00001-of-0000N.gguf` next to `out`, the
   * stem being `out` without `.gguf`), as llama.cpp's gguf-split does. 1 = one file at `out`.
   */
  readonly splits?: number;
  /** HF only: safetensors dtype. */
  readonly dtype?: SynthDtype;
  /** Test-only: metadata keys to leave out, to build malformed files. */
  readonly omitKeys?: readonly string[];
}

export type ResolvedSynthOptions = Required<Omit<SynthOptions, "omitKeys">> & {
  readonly omitKeys: readonly string[];
};

export const SYNTH_ARCHS: readonly SynthArch[] = ["llama", "qwen3", "qwen3moe"];
export const SYNTH_SIZES: readonly SynthSize[] = ["tiny", "small"];
export const SYNTH_QUANTS: readonly SynthQuant[] = ["f32", "f16", "q8_0"];
export const SYNTH_FORMATS: readonly SynthFormat[] = ["gguf", "hf"];
export const SYNTH_DTYPES: readonly SynthDtype[] = ["f32", "f16", "bf16"];

/**
 * Bump whenever the generator's output changes for the same options (weights, tokenizer, template,
 * metadata), so caches keyed on the options (fixtureModel, demo models) regenerate.
 */
export const SYNTH_FORMAT_VERSION = 1;

export const DEFAULT_SEED = 42;
export const DEFAULT_CONTEXT_LENGTH = 131_072;

/** Fills defaults and rejects impossible combinations with one readable line. */
export function resolveSynthOptions(options: SynthOptions): ResolvedSynthOptions {
  const resolved: ResolvedSynthOptions = {
    arch: options.arch,
    size: options.size ?? "tiny",
    quant: options.quant ?? "f32",
    seed: options.seed ?? DEFAULT_SEED,
    ends: options.ends ?? false,
    format: options.format ?? "gguf",
    out: options.out,
    contextLength: options.contextLength ?? DEFAULT_CONTEXT_LENGTH,
    shards: options.shards ?? 1,
    splits: options.splits ?? 1,
    dtype: options.dtype ?? "f32",
    omitKeys: options.omitKeys ?? [],
  };
  oneOf("arch", resolved.arch, SYNTH_ARCHS);
  oneOf("size", resolved.size, SYNTH_SIZES);
  oneOf("quant", resolved.quant, SYNTH_QUANTS);
  oneOf("format", resolved.format, SYNTH_FORMATS);
  oneOf("dtype", resolved.dtype, SYNTH_DTYPES);
  if (!Number.isInteger(resolved.seed) || resolved.seed < 0 || resolved.seed > 0xffffffff) {
    throw new SynthOptionsError(`seed must be an integer from 0 to 4294967295, got ${resolved.seed}`);
  }
  if (!Number.isInteger(resolved.contextLength) || resolved.contextLength < 16) {
    throw new SynthOptionsError(`context length must be an integer ≥ 16, got ${resolved.contextLength}`);
  }
  if (!Number.isInteger(resolved.shards) || resolved.shards < 1 || resolved.shards > 99) {
    throw new SynthOptionsError(`shards must be an integer from 1 to 99, got ${resolved.shards}`);
  }
  if (!Number.isInteger(resolved.splits) || resolved.splits < 1 || resolved.splits > 99) {
    throw new SynthOptionsError(`splits must be an integer from 1 to 99, got ${resolved.splits}`);
  }
  if (resolved.format === "hf" && resolved.splits !== 1) {
    throw new SynthOptionsError("splits applies to --format gguf only (HF folders use shards)");
  }
  if (resolved.out.trim() === "") throw new SynthOptionsError("out must be a path");
  if (resolved.format === "gguf" && (options.shards !== undefined || options.dtype !== undefined)) {
    throw new SynthOptionsError("shards and dtype apply to --format hf only (GGUF uses quant)");
  }
  if (resolved.format === "hf" && options.quant !== undefined && options.quant !== "f32") {
    throw new SynthOptionsError(
      `quant ${options.quant} is GGUF-only; use dtype f32|f16|bf16 for --format hf`,
    );
  }
  return resolved;
}

export class SynthOptionsError extends Error {
  override readonly name = "SynthOptionsError";
}

function oneOf<T extends string>(what: string, value: T, allowed: readonly T[]): void {
  if (!allowed.includes(value)) {
    throw new SynthOptionsError(`${what} must be one of ${allowed.join("|")}, got ${JSON.stringify(value)}`);
  }
}

/** What a format writer reports back to synthModel. */
export interface WrittenModel {
  readonly bytes: number;
  readonly tensorCount: number;
  /** Relative to the output path ("" for a GGUF file, which is the output itself). */
  readonly files: readonly string[];
}
