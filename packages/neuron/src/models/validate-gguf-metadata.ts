import { SUPPORTED_GGUF_ARCHITECTURES } from "@cortex/core";

/**
 * Checks the metadata of a GGUF file (as node-llama-cpp's readGgufFileInfo returns it: nested objects,
 * `metadata.general.architecture`, `metadata[arch].attention.head_count`, `metadata.tokenizer.ggml.*`)
 * before llama.cpp ever sees the file. Some missing keys make llama.cpp hit a GGML_ASSERT, which kills
 * the whole process (docs/node-llama-cpp.md §2.1, §7.5); a try/catch around loadModel cannot stop that. Pure: no I/O.
 */

export type SupportedGgufArchitecture = (typeof SUPPORTED_GGUF_ARCHITECTURES)[number];

export type GgufMetadataVerdict =
  | { readonly ok: true; readonly architecture: SupportedGgufArchitecture }
  | { readonly ok: false; readonly reason: string };

const ABORTS = "llama.cpp would abort the process";
const FAILS = "llama.cpp cannot load the model";

export function validateGgufMetadata(metadata: unknown): GgufMetadataVerdict {
  const architecture = lookup(metadata, "general.architecture");
  if (architecture === undefined) return fail(`missing GGUF key general.architecture (${FAILS})`);
  if (typeof architecture !== "string" || !isSupported(architecture)) {
    return fail(
      `unsupported GGUF architecture ${JSON.stringify(architecture)} (supported: ${SUPPORTED_GGUF_ARCHITECTURES.join(", ")})`,
    );
  }
  const a = architecture;
  const required: [string, string][] = [
    [`${a}.context_length`, FAILS],
    [`${a}.embedding_length`, FAILS],
    [`${a}.block_count`, FAILS],
    [`${a}.feed_forward_length`, ABORTS],
    [`${a}.attention.head_count`, FAILS],
  ];
  if (a === "qwen3moe") required.push([`${a}.expert_count`, ABORTS], [`${a}.expert_used_count`, ABORTS]);
  for (const [key, consequence] of required) {
    const problem = positiveIntegerProblem(metadata, key, consequence);
    if (problem !== null) return fail(problem);
  }
  const epsilon = lookup(metadata, `${a}.attention.layer_norm_rms_epsilon`);
  if (epsilon === undefined) return fail(`missing GGUF key ${a}.attention.layer_norm_rms_epsilon (${FAILS})`);
  if (typeof epsilon !== "number" || !(epsilon > 0)) {
    return fail(`GGUF key ${a}.attention.layer_norm_rms_epsilon must be a positive number (${FAILS})`);
  }

  const heads = integer(lookup(metadata, `${a}.attention.head_count`)) ?? 0;
  const kvHeadsValue = lookup(metadata, `${a}.attention.head_count_kv`);
  if (kvHeadsValue !== undefined) {
    const kvHeads = integer(kvHeadsValue);
    if (kvHeads === null || kvHeads <= 0 || heads % kvHeads !== 0) {
      return fail(
        `GGUF key ${a}.attention.head_count_kv (${String(kvHeadsValue)}) must divide head_count (${heads})`,
      );
    }
  }

  const expertProblem = expertCountProblem(metadata, a);
  if (expertProblem !== null) return fail(expertProblem);
  const tokenizerProblem = tokenizerProblemOf(metadata);
  if (tokenizerProblem !== null) return fail(tokenizerProblem);
  return { ok: true, architecture: a };
}

/**
 * F16 K + V bytes per token over all layers, llama.cpp's default KV cache type: block_count ×
 * head_count_kv × (key_length + value_length) × 2. A lower bound of what a context costs (llama.cpp
 * pads the cache and adds compute buffers), so a load it rules out can never have fitted. Null when the
 * metadata lacks what it needs (validation would have refused such a file anyway).
 */
export function kvCacheBytesPerToken(metadata: unknown, architecture: string): number | null {
  const a = architecture;
  const layers = integer(lookup(metadata, `${a}.block_count`));
  const heads = integer(lookup(metadata, `${a}.attention.head_count`));
  const embedding = integer(lookup(metadata, `${a}.embedding_length`));
  if (layers === null || heads === null || embedding === null || heads <= 0) return null;
  const kvHeads = integer(lookup(metadata, `${a}.attention.head_count_kv`)) ?? heads;
  const headDim = Math.floor(embedding / heads);
  const keyLength = integer(lookup(metadata, `${a}.attention.key_length`)) ?? headDim;
  const valueLength = integer(lookup(metadata, `${a}.attention.value_length`)) ?? headDim;
  return layers * kvHeads * (keyLength + valueLength) * 2;
}

function expertCountProblem(metadata: unknown, a: string): string | null {
  const countValue = lookup(metadata, `${a}.expert_count`);
  const usedValue = lookup(metadata, `${a}.expert_used_count`);
  const count = countValue === undefined ? 0 : integer(countValue);
  const used = usedValue === undefined ? 0 : integer(usedValue);
  if (count === null || count < 0)
    return `GGUF key ${a}.expert_count must be a non-negative integer (${ABORTS})`;
  if (used === null || used < 0)
    return `GGUF key ${a}.expert_used_count must be a non-negative integer (${ABORTS})`;
  if (used > count) {
    return `GGUF key ${a}.expert_used_count (${used}) exceeds expert_count (${count}) (${ABORTS})`;
  }
  if (count > 0 && used === 0)
    return `GGUF key ${a}.expert_used_count must be > 0 for a MoE model (${ABORTS})`;
  return null;
}

function tokenizerProblemOf(metadata: unknown): string | null {
  const model = lookup(metadata, "tokenizer.ggml.model");
  if (model === undefined) return `missing GGUF key tokenizer.ggml.model (${FAILS})`;
  if (model !== "gpt2") {
    return `unsupported tokenizer.ggml.model ${JSON.stringify(model)} (only byte-level BPE "gpt2" is supported)`;
  }
  for (const key of ["tokenizer.ggml.tokens", "tokenizer.ggml.merges"]) {
    const value = lookup(metadata, key);
    if (value === undefined) return `missing GGUF key ${key} (${FAILS})`;
    if (!Array.isArray(value) || value.length === 0)
      return `GGUF key ${key} must be a non-empty array (${FAILS})`;
  }
  return null;
}

function positiveIntegerProblem(metadata: unknown, key: string, consequence: string): string | null {
  const value = lookup(metadata, key);
  if (value === undefined) return `missing GGUF key ${key} (${consequence})`;
  const n = integer(value);
  return n === null || n <= 0
    ? `GGUF key ${key} must be a positive integer, got ${String(value)} (${consequence})`
    : null;
}

/** Walks a dotted GGUF key through the nested metadata object. */
function lookup(metadata: unknown, key: string): unknown {
  let node: unknown = metadata;
  for (const part of key.split(".")) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** GGUF integers arrive as number, or as bigint for 64-bit types. */
function integer(value: unknown): number | null {
  if (typeof value === "bigint") return Number(value);
  return typeof value === "number" && Number.isInteger(value) ? value : null;
}

function isSupported(architecture: string): architecture is SupportedGgufArchitecture {
  return (SUPPORTED_GGUF_ARCHITECTURES as readonly string[]).includes(architecture);
}

function fail(reason: string): GgufMetadataVerdict {
  return { ok: false, reason };
}
