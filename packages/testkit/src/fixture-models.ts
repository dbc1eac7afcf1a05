import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  DEFAULT_CONTEXT_LENGTH,
  DEFAULT_SEED,
  SYNTH_FORMAT_VERSION,
  synthModel,
  type SynthOptions,
} from "@cortex/neuron/synth";
import { repoRoot } from "./repo-root.js";

export type FixtureModelOptions = Omit<SynthOptions, "out">;

const pending = new Map<string, Promise<string>>();

/**
 * Path of a generated model in `<repo>/.cache/models/`, generated on first use (for a split GGUF set,
 * a folder holding the parts `model-0000k-of-0000n.gguf`). The name encodes
 * every option plus the generator's format version, so a changed generator never serves stale files.
 * Safe across vitest workers: each generates under its own temporary name and renames atomically;
 * racing generators write identical bytes, so whichever rename lands is fine.
 */
export async function fixtureModel(options: FixtureModelOptions): Promise<string> {
  const dir = join(repoRoot(), ".cache", "models");
  const path = join(dir, fixtureModelName(options));
  if (existsSync(path)) return path;
  let promise = pending.get(path);
  if (promise === undefined) {
    promise = generate(dir, path, options).finally(() => pending.delete(path));
    pending.set(path, promise);
  }
  return promise;
}

export function fixtureModelName(options: FixtureModelOptions): string {
  const format = options.format ?? "gguf";
  const parts = [
    options.arch,
    options.size ?? "tiny",
    format === "gguf" ? (options.quant ?? "f32") : (options.dtype ?? "f32"),
    `s${options.seed ?? DEFAULT_SEED}`,
    `c${options.contextLength ?? DEFAULT_CONTEXT_LENGTH}`,
  ];
  if (options.ends) parts.push("ends");
  if (format === "hf") parts.push(`shards${options.shards ?? 1}`);
  const splits = options.splits ?? 1;
  if (splits > 1) parts.push(`splits${splits}`);
  if (options.omitKeys !== undefined && options.omitKeys.length > 0) {
    parts.push(`omit-${[...options.omitKeys].sort().join("+")}`);
  }
  parts.push(`v${SYNTH_FORMAT_VERSION}`);
  // A split set is a folder holding `model-0000k-of-0000n.gguf`.
  return parts.join("-") + (format === "gguf" && splits === 1 ? ".gguf" : "");
}

async function generate(dir: string, path: string, options: FixtureModelOptions): Promise<string> {
  await mkdir(dir, { recursive: true });
  const temporary = `${path}.fixture-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    if ((options.splits ?? 1) > 1) {
      await mkdir(temporary);
      await synthModel({ ...options, out: join(temporary, "model.gguf") });
    } else {
      await synthModel({ ...options, out: temporary });
    }
    await rename(temporary, path);
  } catch (error) {
    // A folder cannot be renamed onto an existing one: another worker finished first with the same bytes.
    if (!existsSync(path)) throw error;
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
  return path;
}
