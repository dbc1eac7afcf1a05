import { copyFile, mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { describeHubFile, type HubFileSource } from "./hub-files.js";

/** One snapshot of a repo in a hub cache: its commit and files (path in the repo → content). */
export interface HubCacheSnapshot {
  readonly commit: string;
  readonly files: Readonly<Record<string, HubFileSource>>;
  /** `refs/main` points here (the last snapshot marked so wins). */
  readonly main?: boolean;
}

/**
 * A Hugging Face hub cache as huggingface_hub writes it, in a fresh temp dir (or `root`):
 * `models--org--name/blobs/<sha256>` holds each content once, `snapshots/<commit>/<path>` are relative
 * symlinks into blobs, `refs/main` names a commit. Returns the cache root (what HF_HUB_CACHE points at).
 */
export async function writeHubCache(
  repos: Readonly<Record<string, readonly HubCacheSnapshot[]>>,
  root?: string,
): Promise<string> {
  const cache = root ?? (await mkdtemp(join(tmpdir(), "cortex-hf-cache-")));
  for (const [repo, snapshots] of Object.entries(repos)) {
    const repoDir = join(cache, `models--${repo.split("/").join("--")}`);
    await mkdir(join(repoDir, "blobs"), { recursive: true });
    await mkdir(join(repoDir, "refs"), { recursive: true });
    for (const snapshot of snapshots) {
      for (const [path, source] of Object.entries(snapshot.files)) {
        const file = await describeHubFile(path, source);
        const blob = join(repoDir, "blobs", file.lfs ? file.sha256 : file.gitOid);
        if (typeof source === "string") await copyFile(source, blob);
        else await writeFile(blob, source);
        const link = join(repoDir, "snapshots", snapshot.commit, path);
        await mkdir(dirname(link), { recursive: true });
        await symlink(relative(dirname(link), blob), link);
      }
      if (snapshot.main === true) await writeFile(join(repoDir, "refs", "main"), snapshot.commit);
    }
  }
  return cache;
}
