import { CortexError } from "@cortex/core";
import { splitGgufPart } from "../models/group-model-files.js";
import { isProjectorFile, quantTagOf } from "./quant-tag.js";

/** What to pull: `org/repo[:quant-or-file]` plus an optional revision. */
export interface PullSpec {
  readonly repo: string;
  /** An exact file name (or path in the repo); a split part stands for its whole set. */
  readonly file?: string | undefined;
  /** A quant tag such as `Q4_K_M` (any case). */
  readonly quant?: string | undefined;
  readonly revision?: string | undefined;
}

/** One file of the repo as the hub's tree lists it. */
export interface HubFileEntry {
  readonly path: string;
  readonly size: number;
  /** The LFS object id (sha256 of the content); null for files kept in git. */
  readonly sha256: string | null;
  /** The git blob id (sha1 of `blob <size>\0<content>`). */
  readonly gitOid: string;
}

export interface PullFile extends HubFileEntry {
  /** Where it goes: a file name in models_dir (GGUF), or a path inside the model's folder. */
  readonly local: string;
}

export interface PullPlan {
  readonly kind: "gguf" | "safetensors";
  /** The id the model is served as once pulled (what a file of that name in models_dir would be). */
  readonly id: string;
  readonly quant: string | null;
  readonly files: readonly PullFile[];
  readonly bytes: number;
}

const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** llama.cpp's `-hf` (and Ollama) pick this quant when none is named. */
export const DEFAULT_QUANT = "Q4_K_M";

/** `org/repo`, `org/repo:Q4_K_M`, `org/repo:model-Q8_0.gguf` → a spec; a malformed one is a 400. */
export function parsePullSpec(text: string, revision?: string): PullSpec {
  const colon = text.indexOf(":");
  const repo = colon === -1 ? text : text.slice(0, colon);
  const selector = colon === -1 ? undefined : text.slice(colon + 1);
  checkRepoId(repo);
  if (selector === "") throw invalid(`"${text}": nothing after ':' (a quant such as Q4_K_M, or a file name)`);
  const isFile = selector !== undefined && (/\.gguf$/i.test(selector) || selector.includes("/"));
  return {
    repo,
    ...(selector === undefined ? {} : isFile ? { file: selector } : { quant: selector }),
    ...(revision === undefined ? {} : { revision }),
  };
}

export function checkRepoId(repo: string): void {
  if (!REPO_ID.test(repo) || repo.includes("..") || repo.length > 96) {
    throw invalid(`"${repo}" is not a Hugging Face model repo id (org/name)`, "repo");
  }
}

/**
 * Pure: the files to download for `spec` out of the repo's listing. A GGUF is chosen by exact file, by
 * quant tag, or (neither given) as the repo's only GGUF or its Q4_K_M; split sets come whole. A repo
 * without GGUF files is pulled as a safetensors folder (config, tokenizer, shards). Anything ambiguous
 * or missing is a 400 that lists what the repo has.
 */
export function selectPullFiles(spec: PullSpec, listing: readonly HubFileEntry[]): PullPlan {
  const models = ggufModels(listing);
  if (spec.file !== undefined) {
    const wanted = spec.file.toLowerCase();
    const model = models.find((candidate) =>
      candidate.files.some(
        (file) => file.path.toLowerCase() === wanted || basename(file.path).toLowerCase() === wanted,
      ),
    );
    if (!model) {
      throw invalid(
        `${spec.repo} has no file ${spec.file}; its GGUF files: ${listFiles(models) || "none"}`,
        "file",
      );
    }
    return ggufPlan(model);
  }
  const chat = models.filter((model) => !model.projector);
  if (chat.length === 0) {
    if (spec.quant !== undefined) {
      const folder = safetensorsFiles(listing);
      throw invalid(
        `${spec.repo} has no GGUF files${folder ? `; it is a safetensors model: pull it as ${spec.repo} (no :${spec.quant})` : ""}`,
        "quant",
      );
    }
    return safetensorsPlan(spec.repo, listing);
  }
  const quant = spec.quant?.toUpperCase() ?? null;
  const matching =
    quant === null
      ? chat.length === 1
        ? chat
        : chat.filter((model) => model.quant === DEFAULT_QUANT)
      : chat.filter((model) => model.quant === quant || model.quant === `UD-${quant}`);
  if (matching.length === 1 && matching[0]) return ggufPlan(matching[0]);
  const available = [...new Set(chat.map((model) => model.quant ?? model.id))].join(", ");
  if (matching.length === 0) {
    throw invalid(
      quant === null
        ? `${spec.repo} has several GGUF models and no ${DEFAULT_QUANT}; pick one: ${spec.repo}:<quant> with one of ${available}`
        : `no GGUF in ${spec.repo} matches ${quant}; available: ${available}`,
      "quant",
    );
  }
  throw invalid(
    `several GGUF models in ${spec.repo} match ${quant ?? DEFAULT_QUANT}: ${listFiles(matching)}; name the file (${spec.repo}:<file>)`,
    "quant",
  );
}

/** GGUF files of one model: a single file, or a complete split set in part order. */
export interface GgufGroup<T extends { readonly path: string }> {
  /** The file name without `.gguf` (and without the split suffix). */
  readonly id: string;
  readonly quant: string | null;
  /** A vision projector (`mmproj-*`), not a chat model. */
  readonly projector: boolean;
  readonly files: readonly T[];
}

/**
 * Pure: GGUF files (paths with folders, as in a repo or a hub snapshot) grouped into models, sorted by
 * id; split sets missing parts come back apart, with the parts that are there.
 */
export function groupGgufFiles<T extends { readonly path: string }>(
  entries: readonly T[],
): { groups: GgufGroup<T>[]; incomplete: { base: string; count: number; missing: number[] }[] } {
  const groups: GgufGroup<T>[] = [];
  const incomplete: { base: string; count: number; missing: number[] }[] = [];
  const sets = new Map<string, { count: number; parts: Map<number, T> }>();
  for (const entry of entries) {
    if (!/\.gguf$/i.test(entry.path)) continue;
    const name = basename(entry.path);
    const split = splitGgufPart(name);
    if (!split) {
      groups.push(ggufGroup(name.slice(0, -".gguf".length), [entry]));
      continue;
    }
    const key = dirname(entry.path) === "" ? split.base : `${dirname(entry.path)}/${split.base}`;
    const set = sets.get(key) ?? { count: split.count, parts: new Map<number, T>() };
    set.parts.set(split.part, entry);
    sets.set(key, set);
  }
  for (const [key, set] of sets) {
    const missing: number[] = [];
    for (let part = 1; part <= set.count; part++) if (!set.parts.has(part)) missing.push(part);
    if (missing.length > 0) {
      incomplete.push({ base: key, count: set.count, missing });
      continue;
    }
    const files = [...set.parts.entries()].sort(([a], [b]) => a - b).map(([, file]) => file);
    groups.push(ggufGroup(basename(key), files));
  }
  return { groups: groups.sort((a, b) => a.id.localeCompare(b.id)), incomplete };
}

function ggufGroup<T extends { readonly path: string }>(id: string, files: readonly T[]): GgufGroup<T> {
  const first = files[0]?.path ?? id;
  return { id, quant: quantTagOf(first), projector: isProjectorFile(first), files };
}

type GgufModel = GgufGroup<HubFileEntry>;

/** The repo's GGUF models; an incomplete split set on the hub cannot be served either, so it is no choice. */
function ggufModels(listing: readonly HubFileEntry[]): GgufModel[] {
  return groupGgufFiles(listing).groups;
}

function ggufPlan(model: GgufModel): PullPlan {
  const files = model.files.map((file) => ({ ...file, local: basename(file.path) }));
  return { kind: "gguf", id: model.id, quant: model.quant, files, bytes: total(files) };
}

/** What a safetensors folder needs: config, tokenizer and generation files, the shards and their index. */
const FOLDER_FILE = /^(?:[^/]+\.(?:json|safetensors|txt|jinja|tiktoken)|tokenizer\.model)$/i;

function safetensorsFiles(listing: readonly HubFileEntry[]): HubFileEntry[] | null {
  const files = listing.filter((entry) => FOLDER_FILE.test(entry.path));
  const hasConfig = files.some((file) => file.path === "config.json");
  const hasWeights = files.some((file) => file.path.endsWith(".safetensors"));
  return hasConfig && hasWeights ? files : null;
}

function safetensorsPlan(repo: string, listing: readonly HubFileEntry[]): PullPlan {
  const files = safetensorsFiles(listing);
  if (!files) {
    throw invalid(
      `${repo} has neither GGUF files nor a safetensors model (config.json and *.safetensors at the top level)`,
      "repo",
    );
  }
  const local = files.map((file) => ({ ...file, local: file.path }));
  const id = repo.slice(repo.indexOf("/") + 1);
  return { kind: "safetensors", id, quant: null, files: local, bytes: total(local) };
}

function listFiles(models: readonly GgufModel[]): string {
  return models.flatMap((model) => model.files.map((file) => file.path)).join(", ");
}

function total(files: readonly HubFileEntry[]): number {
  return files.reduce((sum, file) => sum + file.size, 0);
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "" : path.slice(0, slash);
}

function invalid(message: string, param = "model"): CortexError {
  return new CortexError("invalid_request", message, { param });
}
