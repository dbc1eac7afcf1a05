import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { HfModelError } from "../hf-model-error.js";
import { SOURCE_DTYPES, type SourceDtype, type WeightInfo } from "../plan/gguf-tensor-plan.js";
import { readSafetensorsHeader } from "../safetensors/read-safetensors-header.js";
import type { WeightLocation } from "../write/write-converted-gguf.js";
import {
  isRecord,
  isSupportedModelType,
  modelTypeOf,
  unsupportedModelTypeReason,
} from "./hf-model-config.js";

export const SINGLE_FILE = "model.safetensors";
export const INDEX_FILE = "model.safetensors.index.json";

export type CheckpointTensor = WeightInfo & {
  readonly path: string;
  readonly begin: number;
  readonly end: number;
};

/** Everything a conversion reads from a folder, tensor data excepted (that is read while writing). */
export interface HfFolder {
  readonly dir: string;
  readonly config: unknown;
  readonly tokenizer: unknown;
  /** null when the folder has no tokenizer_config.json. */
  readonly tokenizerConfig: unknown;
  readonly chatTemplateFile: string | null;
  readonly weights: ReadonlyMap<string, CheckpointTensor>;
  /** Sum of the safetensors file sizes. */
  readonly weightFileBytes: number;
}

/** config.json alone: enough to tell a supported model type from the rest at scan time. */
export async function readHfConfigJson(dir: string): Promise<unknown> {
  const config = await readJson(dir, "config.json");
  if (config === undefined) throw new HfModelError("config.json is missing");
  return config;
}

/** Reads and parses every small file and every safetensors header; never tensor data. */
export async function readHfFolder(dir: string): Promise<HfFolder> {
  const config = await readHfConfigJson(dir);
  // A foreign model type is the first thing to say, before any complaint about its files.
  const modelType = modelTypeOf(config);
  if (!isSupportedModelType(modelType)) throw new HfModelError(unsupportedModelTypeReason(modelType));
  const { weights, weightFileBytes } = await readWeights(dir);
  const tokenizer = await readJson(dir, "tokenizer.json");
  if (tokenizer === undefined) {
    throw new HfModelError(
      "tokenizer.json is missing (a fast-tokenizer tokenizer.json is needed to convert)",
    );
  }
  const tokenizerConfig = (await readJson(dir, "tokenizer_config.json")) ?? null;
  return {
    dir,
    config,
    tokenizer,
    tokenizerConfig,
    chatTemplateFile: await readChatTemplateFile(dir),
    weights,
    weightFileBytes,
  };
}

/** Only the F32/F16/BF16 subset can be read while writing; the plan rejects other dtypes by name first. */
export function weightLocations(weights: ReadonlyMap<string, CheckpointTensor>): Map<string, WeightLocation> {
  const locations = new Map<string, WeightLocation>();
  for (const [name, weight] of weights) {
    if ((SOURCE_DTYPES as readonly string[]).includes(weight.dtype)) {
      locations.set(name, {
        path: weight.path,
        dtype: weight.dtype as SourceDtype,
        begin: weight.begin,
        end: weight.end,
      });
    }
  }
  return locations;
}

async function readWeights(
  dir: string,
): Promise<{ weights: Map<string, CheckpointTensor>; weightFileBytes: number }> {
  const index = await readJson(dir, INDEX_FILE);
  let files: string[];
  let weightMap: Record<string, unknown> | null = null;
  if (index !== undefined) {
    if (!isRecord(index) || !isRecord(index.weight_map)) {
      throw new HfModelError(`${INDEX_FILE} has no weight_map`);
    }
    weightMap = index.weight_map;
    const named = Object.values(weightMap);
    if (!named.every((file): file is string => typeof file === "string" && isPlainFileName(file))) {
      throw new HfModelError(`${INDEX_FILE}: weight_map values must be file names in the folder`);
    }
    files = [...new Set(named)].sort();
    if (files.length === 0) throw new HfModelError(`${INDEX_FILE}: weight_map is empty`);
  } else {
    const names = await readdir(dir);
    if (!names.includes(SINGLE_FILE)) {
      const found = names.find(
        (name) => name.endsWith(".bin") || name.endsWith(".pt") || name.endsWith(".safetensors"),
      );
      throw new HfModelError(
        found === undefined
          ? `no ${SINGLE_FILE} or ${INDEX_FILE} in the folder`
          : `no ${SINGLE_FILE} or ${INDEX_FILE} in the folder (found ${found}; only safetensors checkpoints are supported)`,
      );
    }
    files = [SINGLE_FILE];
  }
  const weights = new Map<string, CheckpointTensor>();
  let weightFileBytes = 0;
  for (const file of files) {
    const path = join(dir, file);
    const header = await readSafetensorsHeader(path);
    weightFileBytes += header.fileSize;
    for (const [name, tensor] of header.tensors) {
      if (weights.has(name)) {
        throw new HfModelError(`tensor ${name} is stored twice (in ${file} and another shard)`);
      }
      weights.set(name, { ...tensor, path });
    }
  }
  if (weightMap !== null) {
    for (const [name, file] of Object.entries(weightMap)) {
      if (weights.get(name)?.path !== join(dir, String(file))) {
        throw new HfModelError(
          `${INDEX_FILE} puts ${name} in ${String(file)}, but that file does not hold it`,
        );
      }
    }
  }
  return { weights, weightFileBytes };
}

/** transformers ≥ 4.43 may keep the template beside tokenizer_config.json instead of inside it. */
async function readChatTemplateFile(dir: string): Promise<string | null> {
  const jinja = await readFile(join(dir, "chat_template.jinja"), "utf8").catch(() => null);
  if (jinja !== null) return jinja;
  const json = await readJson(dir, "chat_template.json");
  return isRecord(json) && typeof json.chat_template === "string" ? json.chat_template : null;
}

/** undefined when the file does not exist; an HfModelError when it exists but is not JSON. */
async function readJson(dir: string, file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(join(dir, file), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new HfModelError(
      `${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HfModelError(`${file} is not valid JSON`);
  }
}

function isPlainFileName(name: string): boolean {
  return name !== "" && !name.includes("/") && !name.includes("\\") && !name.startsWith(".");
}
