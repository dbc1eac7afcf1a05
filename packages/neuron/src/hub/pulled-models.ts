import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/**
 * Bookkeeping of pulls inside models_dir, in a hidden folder the model scan never lists:
 * `.cortex-pulls/<id>.json` says which files a pulled model consists of (so DELETE removes exactly
 * those), `.cortex-pulls/downloads/` holds files being downloaded (`<hash>.partial`, kept for resume)
 * and downloaded ones waiting to be put in place (`<hash>`).
 */
export const PULLS_DIR = ".cortex-pulls";

export const PullManifestSchema = z.object({
  id: z.string(),
  repo: z.string(),
  /** The commit every file came from. */
  commit: z.string(),
  kind: z.enum(["gguf", "safetensors"]),
  quant: z.string().nullable(),
  /** Paths relative to models_dir: the GGUF files, or the folder. */
  paths: z.array(z.string()),
  files: z.array(
    z.object({ path: z.string(), size: z.number(), sha256: z.string().nullable(), git_oid: z.string() }),
  ),
  pulled_at: z.string(),
});
export type PullManifest = z.infer<typeof PullManifestSchema>;

export function pullsDir(modelsDir: string): string {
  return join(modelsDir, PULLS_DIR);
}

export function downloadsDir(modelsDir: string): string {
  return join(pullsDir(modelsDir), "downloads");
}

function manifestPath(modelsDir: string, id: string): string {
  return join(pullsDir(modelsDir), `${id}.json`);
}

/** The record of a pulled model, or null when `id` was not pulled (or its record is unreadable). */
export async function readManifest(modelsDir: string, id: string): Promise<PullManifest | null> {
  const text = await readFile(manifestPath(modelsDir, id), "utf8").catch(() => null);
  if (text === null) return null;
  try {
    return PullManifestSchema.parse(JSON.parse(text));
  } catch {
    return null;
  }
}

/** Written under a temporary name, flushed and renamed: a crash leaves the old record or the new one. */
export async function writeManifest(modelsDir: string, manifest: PullManifest): Promise<void> {
  const path = manifestPath(modelsDir, manifest.id);
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const handle = await open(temporary, "w");
  try {
    await handle.writeFile(JSON.stringify(manifest, null, 2) + "\n");
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
  await fsyncDir(pullsDir(modelsDir));
}

/** Removes a pulled model's files and then its record. */
export async function removePulledModel(modelsDir: string, manifest: PullManifest): Promise<void> {
  for (const path of manifest.paths) await rm(join(modelsDir, path), { recursive: true, force: true });
  await fsyncDir(modelsDir);
  await rm(manifestPath(modelsDir, manifest.id), { force: true });
}

/** Makes a rename or removal in `dir` durable (a no-op where directories cannot be opened for sync). */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r").catch(() => null);
  if (!handle) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}
