import { existsSync } from "node:fs";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { groupGgufFiles } from "../hub/select-pull-files.js";
import { groupModelFiles } from "./group-model-files.js";

/** Where a neuron finds models. */
export type ModelSource =
  /** A folder of GGUF files and model folders, ids from their names (models_dir, model_dirs). */
  | { readonly kind: "dir"; readonly path: string }
  /** A Hugging Face hub cache (`models--org--name/snapshots/<commit>/…`), ids `org/name:QUANT`. */
  | { readonly kind: "hf-cache"; readonly path: string };

export type FoundModel =
  | { readonly kind: "gguf"; readonly id: string; readonly files: readonly string[] }
  | { readonly kind: "hf"; readonly id: string; readonly dir: string };

export interface Unsupported {
  readonly path: string;
  readonly reason: string;
}

export interface Discovery {
  /** Absolute paths. */
  readonly models: FoundModel[];
  /** Paths relative to the first source (models_dir), absolute elsewhere. */
  readonly unsupported: Unsupported[];
}

/**
 * Every model in `sources`, in their order. The same file reached from two sources (a link in models_dir to
 * the hub cache, a model_dirs entry inside another) is listed once, where it was first seen; linked under
 * two names in one folder it is served under both; a different model
 * with an id already taken is reported, not served under that id.
 */
export async function discoverModels(sources: readonly ModelSource[]): Promise<Discovery> {
  const models: FoundModel[] = [];
  const unsupported: Unsupported[] = [];
  const byId = new Map<string, string>();
  /** Real path of each model file → the source it was first listed from. */
  const seenFiles = new Map<string, ModelSource>();
  const shown = (path: string): string => displayPath(sources, path);
  for (const source of sources) {
    const found = source.kind === "dir" ? await scanDir(source.path, shown) : await scanHubCache(source.path);
    unsupported.push(...found.unsupported);
    for (const model of found.models) {
      const location = model.kind === "gguf" ? (model.files[0] ?? "") : model.dir;
      const identity = await realpath(model.kind === "gguf" ? location : join(location, "config.json")).catch(
        () => location,
      );
      // Within one folder, two names for one file are deliberate (one weights file, a profile per id).
      const firstSeen = seenFiles.get(identity);
      if (firstSeen !== undefined && firstSeen !== source) continue;
      seenFiles.set(identity, source);
      const taken = byId.get(model.id);
      if (taken !== undefined) {
        unsupported.push({
          path: shown(location),
          reason: `same model id ${model.id} as ${shown(taken)}; rename one of them`,
        });
        continue;
      }
      byId.set(model.id, location);
      models.push(model);
    }
  }
  return { models, unsupported };
}

/** How a path is reported: relative inside the first source (models_dir), absolute elsewhere. */
export function displayPath(sources: readonly ModelSource[], path: string): string {
  const primary = sources[0]?.path;
  return primary !== undefined && path.startsWith(`${primary}/`) ? relative(primary, path) : path;
}

/** A flat folder: `name.gguf`, split sets, and Hugging Face folders (with config.json) as models. */
async function scanDir(dir: string, shown: (path: string) => string): Promise<Discovery> {
  const dirents = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  // A symlinked folder counts as a folder (HF hub snapshots and shared model stores are linked in).
  const entries = await Promise.all(
    dirents.map(async (dirent) => ({
      name: dirent.name,
      isDirectory:
        dirent.isDirectory() ||
        (dirent.isSymbolicLink() &&
          ((await stat(join(dir, dirent.name)).catch(() => null))?.isDirectory() ?? false)),
    })),
  );
  const candidates = groupModelFiles(entries, (name) => existsSync(join(dir, name, "config.json")));
  const ggufIds = new Set(
    candidates.flatMap((candidate) => (candidate.kind === "gguf" ? [candidate.id] : [])),
  );
  const models: FoundModel[] = [];
  const unsupported: Unsupported[] = [];
  for (const candidate of candidates) {
    switch (candidate.kind) {
      case "unsupported":
        unsupported.push({ path: shown(join(dir, candidate.path)), reason: candidate.reason });
        break;
      case "hf":
        if (ggufIds.has(candidate.id)) {
          unsupported.push({
            path: shown(join(dir, candidate.dir)),
            reason: `Hugging Face folder with the same model id as ${candidate.id}.gguf; rename one of them`,
          });
        } else {
          models.push({ kind: "hf", id: candidate.id, dir: join(dir, candidate.dir) });
        }
        break;
      case "gguf":
        models.push({
          kind: "gguf",
          id: candidate.id,
          files: candidate.files.map((file) => join(dir, file)),
        });
        break;
      default:
        candidate satisfies never;
    }
  }
  return { models, unsupported };
}

/** How deep a snapshot is walked: GGUF publishers put split sets one folder down (`Q4_K_M/…`). */
const SNAPSHOT_DEPTH = 3;

/**
 * The hub cache's model repos: in each snapshot (the one `refs/main` names first, then newest first),
 * every GGUF model as `org/name:QUANT` (the file name without `.gguf` when it has no quant tag, or when
 * two share one), and a snapshot with config.json and safetensors at its top as the folder `org/name`.
 * Files whose blob is gone (dangling links) are skipped; an id an earlier snapshot has is kept there.
 */
async function scanHubCache(root: string): Promise<Discovery> {
  const names = await readdir(root).catch(() => [] as string[]);
  const models: FoundModel[] = [];
  const unsupported: Unsupported[] = [];
  for (const name of names.sort()) {
    const repo = /^models--(.+)$/.exec(name)?.[1]?.split("--").join("/");
    if (repo === undefined) continue;
    const repoDir = join(root, name);
    const taken = new Set<string>();
    for (const snapshot of await snapshotsOf(repoDir)) {
      const files = await walk(snapshot, "", SNAPSHOT_DEPTH);
      const { groups, incomplete } = groupGgufFiles(files.map((path) => ({ path })));
      const chat = groups.filter((group) => !group.projector);
      const tags = chat.map((group) => group.quant ?? group.id);
      chat.forEach((group, index) => {
        const tag = tags[index] ?? group.id;
        const unique = tags.filter((other) => other === tag).length === 1;
        const id = `${repo}:${unique ? tag : group.id}`;
        if (taken.has(id)) return;
        taken.add(id);
        models.push({ kind: "gguf", id, files: group.files.map((file) => join(snapshot, file.path)) });
      });
      for (const set of incomplete) {
        unsupported.push({
          path: join(snapshot, `${set.base}-*-of-${String(set.count).padStart(5, "0")}.gguf`),
          reason: `split GGUF set is incomplete: missing part(s) ${set.missing.join(", ")} of ${set.count}`,
        });
      }
      const folder = files.includes("config.json") && files.some((file) => /^[^/]+\.safetensors$/.test(file));
      if (folder && !taken.has(repo)) {
        taken.add(repo);
        models.push({ kind: "hf", id: repo, dir: snapshot });
      }
    }
  }
  return { models, unsupported };
}

/** A repo's snapshot folders: the commit `refs/main` names first, then the newest first. */
async function snapshotsOf(repoDir: string): Promise<string[]> {
  const dir = join(repoDir, "snapshots");
  const names = await readdir(dir).catch(() => [] as string[]);
  const main = (await readFile(join(repoDir, "refs", "main"), "utf8").catch(() => "")).trim();
  const dated = await Promise.all(
    names.map(async (name) => ({
      name,
      mtime: (await stat(join(dir, name)).catch(() => null))?.mtimeMs ?? 0,
    })),
  );
  return dated
    .sort((a, b) => Number(b.name === main) - Number(a.name === main) || b.mtime - a.mtime)
    .map(({ name }) => join(dir, name));
}

/** Files (links followed, dangling ones skipped) under `dir`, as paths relative to it. */
async function walk(dir: string, prefix: string, depth: number): Promise<string[]> {
  const names = await readdir(join(dir, prefix)).catch(() => [] as string[]);
  const files: string[] = [];
  for (const name of names.sort()) {
    if (name.startsWith(".")) continue;
    const path = prefix === "" ? name : `${prefix}/${name}`;
    const info = await stat(join(dir, path)).catch(() => null);
    if (info?.isFile()) files.push(path);
    else if (info?.isDirectory() && depth > 1) files.push(...(await walk(dir, path, depth - 1)));
  }
  return files;
}
