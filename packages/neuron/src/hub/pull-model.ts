import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, statfs } from "node:fs/promises";
import { dirname, join } from "node:path";
import { CortexError, formatBytes, isProcessAlive } from "@cortex/core";
import { downloadVerified } from "./download-verified.js";
import type { HubClient } from "./hub-client.js";
import {
  downloadsDir,
  fsyncDir,
  pullsDir,
  readManifest,
  writeManifest,
  type PullManifest,
} from "./pulled-models.js";
import { selectPullFiles, type PullFile, type PullPlan, type PullSpec } from "./select-pull-files.js";

/** Bytes free for an unprivileged writer in the filesystem holding `dir`. */
export type FreeSpace = (dir: string) => Promise<number>;

export const statfsFreeSpace: FreeSpace = async (dir) => {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
};

/** A pull that has been planned: what the repo has at which commit, and what is still to download. */
export interface PlannedPull {
  readonly spec: PullSpec;
  readonly commit: string;
  readonly plan: PullPlan;
  /** Already in models_dir from this very repo and commit: nothing to do. */
  readonly upToDate: boolean;
  /** Bytes already downloaded (verified files and partial ones), counted into progress. */
  readonly bytesPresent: number;
}

export interface PlanPullOptions {
  readonly client: HubClient;
  readonly modelsDir: string;
  readonly freeSpace?: FreeSpace;
}

/**
 * The quick part of a pull, done before answering a request: the revision's commit, the repo's files,
 * the choice among them, whether models_dir already has the model, and whether the disk has room.
 */
export async function planPull(spec: PullSpec, options: PlanPullOptions): Promise<PlannedPull> {
  const { client, modelsDir } = options;
  const commit = await client.resolveCommit(spec.repo, spec.revision);
  const plan = selectPullFiles(spec, await client.listFiles(spec.repo, commit));
  const targets = targetPaths(plan);
  const manifest = await readManifest(modelsDir, plan.id);
  const present = targets.filter((target) => existsSync(join(modelsDir, target)));
  if (
    manifest &&
    manifest.repo === spec.repo &&
    manifest.commit === commit &&
    present.length === targets.length
  ) {
    return { spec, commit, plan, upToDate: true, bytesPresent: plan.bytes };
  }
  if (present.length > 0) {
    const origin = manifest
      ? `pulled from ${manifest.repo} at ${manifest.commit.slice(0, 12)}`
      : "not pulled by cortex";
    throw new CortexError(
      "invalid_request",
      `models_dir already has ${present.join(", ")} (${origin}); delete model ${plan.id} first`,
      { param: "model" },
    );
  }
  let bytesPresent = 0;
  for (const file of plan.files) bytesPresent += await bytesOnDisk(modelsDir, file);
  await mkdir(downloadsDir(modelsDir), { recursive: true });
  const needed = plan.bytes - bytesPresent;
  const free = await (options.freeSpace ?? statfsFreeSpace)(modelsDir);
  if (needed > free) {
    throw new CortexError(
      "insufficient_storage",
      `pulling ${spec.repo} (${plan.id}) needs ${formatBytes(needed)} more in ${modelsDir}, which has ${formatBytes(free)} free`,
    );
  }
  const first = plan.files[0];
  if (first) await client.checkAccess(spec.repo, commit, first.path);
  return { spec, commit, plan, upToDate: false, bytesPresent };
}

export interface RunPullOptions {
  readonly client: HubClient;
  readonly modelsDir: string;
  readonly signal: AbortSignal;
  /** Bytes of the model on disk so far, out of `plan.bytes`. */
  readonly onProgress?: (bytesDone: number) => void;
  readonly retryDelayMs?: number;
}

/**
 * Downloads what a planned pull still needs, verifies every file, and puts the model in place: GGUF
 * files are renamed into models_dir, a safetensors folder is assembled in a hidden staging folder and
 * renamed in as a whole, so the scan never sees part of a model. The record of the pull is written
 * before anything appears, so DELETE can always find the model's files.
 */
export async function runPull(planned: PlannedPull, options: RunPullOptions): Promise<PullManifest> {
  const { plan, spec, commit } = planned;
  const { modelsDir, signal } = options;
  const manifest: PullManifest = {
    id: plan.id,
    repo: spec.repo,
    commit,
    kind: plan.kind,
    quant: plan.quant,
    paths: targetPaths(plan),
    files: plan.files.map((file) => ({
      path: file.path,
      size: file.size,
      sha256: file.sha256,
      git_oid: file.gitOid,
    })),
    pulled_at: new Date().toISOString(),
  };
  if (planned.upToDate) return (await readManifest(modelsDir, plan.id)) ?? manifest;
  const downloads = downloadsDir(modelsDir);
  await mkdir(downloads, { recursive: true });
  let done = 0;
  for (const file of plan.files) {
    const blob = join(downloads, contentKey(file));
    if ((await stat(blob).catch(() => null))?.size === file.size) {
      done += file.size;
      options.onProgress?.(done);
      continue;
    }
    await withDownloadLock(blob, file, async () => {
      await downloadVerified({
        client: options.client,
        repo: spec.repo,
        commit,
        file,
        partialPath: `${blob}.partial`,
        signal,
        onBytes: (delta) => {
          done += delta;
          options.onProgress?.(done);
        },
        ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
      });
      await rename(`${blob}.partial`, blob);
      await fsyncDir(downloads);
    });
  }
  signal.throwIfAborted();
  await writeManifest(modelsDir, manifest);
  if (plan.kind === "gguf") {
    // Parts of a split set appear one by one; until the last one the scan reports the set incomplete.
    for (const file of plan.files)
      await rename(join(downloads, contentKey(file)), join(modelsDir, file.local));
  } else {
    const staging = join(pullsDir(modelsDir), `staging-${plan.id}-${randomBytes(4).toString("hex")}`);
    await mkdir(staging);
    for (const file of plan.files) {
      await mkdir(dirname(join(staging, file.local)), { recursive: true });
      await rename(join(downloads, contentKey(file)), join(staging, file.local));
    }
    await fsyncDir(staging);
    await rename(staging, join(modelsDir, plan.id));
  }
  await fsyncDir(modelsDir);
  return manifest;
}

/** What the pull puts into models_dir, relative to it: the GGUF files, or the folder. */
function targetPaths(plan: PullPlan): string[] {
  return plan.kind === "gguf" ? plan.files.map((file) => file.local) : [plan.id];
}

/** Downloads are named after their content, so a resumed partial file can only continue the same bytes. */
export function contentKey(file: PullFile): string {
  return file.sha256 ?? `git-${file.gitOid}`;
}

async function bytesOnDisk(modelsDir: string, file: PullFile): Promise<number> {
  const blob = join(downloadsDir(modelsDir), contentKey(file));
  const done = await stat(blob).catch(() => null);
  if (done?.size === file.size) return file.size;
  const partial = await stat(`${blob}.partial`).catch(() => null);
  return Math.min(partial?.size ?? 0, file.size);
}

/**
 * One writer per download, across processes (`neuron pull` next to a running neuron): a lock file
 * holding the writer's pid, taken over when that process is gone.
 */
async function withDownloadLock<T>(blob: string, file: PullFile, action: () => Promise<T>): Promise<T> {
  const lock = `${blob}.lock`;
  for (let attempt = 0; ; attempt++) {
    const handle = await open(lock, "wx").catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
      return null;
    });
    if (handle) {
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    }
    const holder = Number(await readFile(lock, "utf8").catch(() => ""));
    if (attempt === 0 && !(Number.isInteger(holder) && holder > 0 && isProcessAlive(holder))) {
      await rm(lock, { force: true });
      continue;
    }
    throw new CortexError(
      "invalid_request",
      `${file.path} is already being downloaded${Number.isInteger(holder) && holder > 0 ? ` by process ${holder}` : ""}`,
    );
  }
  try {
    return await action();
  } finally {
    await rm(lock, { force: true });
  }
}
