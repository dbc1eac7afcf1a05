import { createHash } from "node:crypto";
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { isProcessAlive } from "@cortex/core";
import { convertHfFolder, type ConvertHfFolderResult } from "./convert-hf-folder.js";
import type { ConvertTarget } from "./plan/gguf-tensor-plan.js";

/** Bump when the converter's output changes for the same input, so old cache entries are not reused. */
export const CONVERTER_VERSION = 1;

export interface HfSourceFile {
  readonly name: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** The folder's files a conversion reads (stat follows symlinks, as in the HF hub cache's snapshots). */
export async function hfSourceFiles(dir: string): Promise<HfSourceFile[]> {
  const names = (await readdir(dir)).filter((name) => /\.(json|safetensors|jinja)$/.test(name)).sort();
  const files: HfSourceFile[] = [];
  for (const name of names) {
    const info = await stat(join(dir, name)).catch(() => null);
    if (info?.isFile()) files.push({ name, size: info.size, mtimeMs: info.mtimeMs });
  }
  return files;
}

export function hfSignature(files: readonly HfSourceFile[]): string {
  return files.map((file) => `${file.name}:${file.size}:${file.mtimeMs}`).join("|");
}

/**
 * `<cacheDir>/<id>-<key>.gguf`, the key hashing the folder path, its files' sizes and mtimes, the
 * target and the converter version: any change to the source gives a new file, never a stale one.
 */
export function hfCachePath(
  cacheDir: string,
  id: string,
  source: { dir: string; signature: string; target: ConvertTarget },
): string {
  const key = createHash("sha256")
    .update(JSON.stringify({ version: CONVERTER_VERSION, ...source }))
    .digest("hex")
    .slice(0, 16);
  return join(cacheDir, `${id}-${key}.gguf`);
}

export interface ConvertIntoCacheOptions {
  readonly dir: string;
  readonly cachePath: string;
  readonly id: string;
  readonly target: ConvertTarget;
  readonly signal?: AbortSignal;
  readonly onProgress?: (fraction: number) => void;
}

/** Converts into the cache, then removes this model's older conversions and crashed writers' leftovers. */
export async function convertIntoCache(options: ConvertIntoCacheOptions): Promise<ConvertHfFolderResult> {
  const cacheDir = join(options.cachePath, "..");
  await removeStale(cacheDir, options.id, options.cachePath);
  const result = await convertHfFolder({
    dir: options.dir,
    out: options.cachePath,
    target: options.target,
    name: options.id,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  await removeStale(cacheDir, options.id, options.cachePath);
  return result;
}

/**
 * Only names this module writes for this id: `<id>-<16 hex>.gguf` other than `keep`, and partial files
 * whose writer process is gone. A live writer's partial file (another neuron sharing the cache) stays.
 */
async function removeStale(cacheDir: string, id: string, keep: string): Promise<void> {
  const names = await readdir(cacheDir).catch(() => [] as string[]);
  const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const cached = new RegExp(`^${escaped}-[0-9a-f]{16}\\.gguf$`);
  const partial = new RegExp(`^\\.${escaped}-[0-9a-f]{16}\\.gguf\\.partial-(\\d+)-[0-9a-f]+$`);
  for (const name of names) {
    const path = join(cacheDir, name);
    const writer = partial.exec(name)?.[1];
    const stale =
      (cached.test(name) && path !== keep) || (writer !== undefined && !isProcessAlive(Number(writer)));
    if (stale) await rm(path, { force: true });
  }
}

/**
 * At start: every partial file (`.<name>.partial-<pid>-<hex>`) whose writer is gone. One carrying this
 * process's own pid is a previous process's (pids are reused; in a container the neuron is always pid 1),
 * since this one has not written anything yet; a live writer's (another neuron sharing the cache) stays.
 */
export async function removeLeftoverPartials(cacheDir: string): Promise<string[]> {
  const names = await readdir(cacheDir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const writer = /^\..+\.partial-(\d+)-[0-9a-f]+$/.exec(name)?.[1];
    if (writer === undefined) continue;
    const pid = Number(writer);
    if (pid !== process.pid && isProcessAlive(pid)) continue;
    await rm(join(cacheDir, name), { force: true });
    removed.push(name);
  }
  return removed;
}
