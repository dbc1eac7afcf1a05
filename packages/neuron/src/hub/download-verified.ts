import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, rm, stat, truncate } from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";
import { CortexError, isCortexError } from "@cortex/core";
import type { HubClient } from "./hub-client.js";
import type { PullFile } from "./select-pull-files.js";

export interface DownloadOptions {
  readonly client: HubClient;
  readonly repo: string;
  readonly commit: string;
  readonly file: PullFile;
  /** Bytes accumulate here across attempts and across pulls (it is named after the content's hash). */
  readonly partialPath: string;
  readonly signal: AbortSignal;
  /** Bytes of this file that are now on disk (resumed bytes count, a restart from 0 subtracts). */
  readonly onBytes: (delta: number) => void;
  /** Attempts after a dropped connection or a 5xx without progress in between; default 5. */
  readonly retries?: number;
  /** Backoff before the first retry, doubled each time; default 1 s. */
  readonly retryDelayMs?: number;
}

/**
 * Downloads one file of a pull into `partialPath`, resuming what is already there with a Range request,
 * and returns once the file is complete, flushed to disk and matches the hub's hash (sha256 for LFS
 * files, the git blob id for the rest). A mismatch removes the partial file: those bytes can never
 * become the right file.
 */
export async function downloadVerified(options: DownloadOptions): Promise<void> {
  const { file, partialPath, signal } = options;
  const retries = options.retries ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  let length = (await stat(partialPath).catch(() => null))?.size ?? 0;
  if (length > file.size) {
    await truncate(partialPath, 0);
    length = 0;
  }
  // What is on disk and its hash so far; append() advances both chunk by chunk, so a dropped connection
  // leaves them agreeing with the file.
  const written: Written = { length, hash: await hashOf(file, partialPath, length) };
  options.onBytes(length);
  let failures = 0;
  while (written.length < file.size) {
    const before = written.length;
    try {
      const opened = await options.client.open(options.repo, options.commit, file.path, before, signal);
      if (opened.start === 0 && before > 0) {
        // The server ignored the Range header: start over rather than append the file's beginning.
        await truncate(partialPath, 0);
        options.onBytes(-before);
        written.length = 0;
        written.hash = await hashOf(file, partialPath, 0);
      }
      await append(opened.body, partialPath, file, written, options.onBytes);
      if (written.length < file.size) {
        throw new CortexError(
          "upstream_error",
          `the connection closed at byte ${written.length} of ${file.size} of ${file.path}`,
        );
      }
    } catch (error) {
      if (signal.aborted || !transient(error)) throw error;
      failures = written.length > before ? 1 : failures + 1;
      if (failures > retries) {
        throw new CortexError(
          "upstream_error",
          `downloading ${file.path} failed ${failures} times in a row at byte ${written.length} of ${file.size}: ${(error as Error).message}; pull again to resume`,
          { cause: error },
        );
      }
      await delay(retryDelayMs * 2 ** (failures - 1), undefined, { signal });
    }
  }
  const digest = written.hash.digest("hex");
  const expected = file.sha256 ?? file.gitOid;
  if (digest !== expected) {
    await rm(partialPath, { force: true });
    throw new CortexError(
      "upstream_error",
      `${file.path} does not match the hub's ${file.sha256 !== null ? "sha256" : "git object id"} (expected ${expected}, got ${digest}); the download was discarded`,
    );
  }
}

interface Written {
  length: number;
  hash: Hash;
}

/** Appends the body to the file, hashing as it goes. */
async function append(
  body: ReadableStream<Uint8Array>,
  path: string,
  file: PullFile,
  written: Written,
  onBytes: (delta: number) => void,
): Promise<void> {
  const handle = await open(path, "a").catch((error: unknown) => {
    throw storageError(error, path);
  });
  try {
    for await (const chunk of body) {
      if (written.length + chunk.length > file.size) {
        throw new CortexError(
          "upstream_error",
          `the hub sent more than the ${file.size} bytes of ${file.path}`,
        );
      }
      await handle.write(chunk).catch((error: unknown) => {
        throw storageError(error, path);
      });
      written.hash.update(chunk);
      written.length += chunk.length;
      onBytes(chunk.length);
    }
  } finally {
    // What arrived stays on disk for the next attempt, flushed so a crash cannot leave a hole.
    await handle.sync().catch(() => undefined);
    await handle.close();
  }
}

/** A fresh hash over the first `length` bytes already downloaded. */
async function hashOf(file: PullFile, path: string, length: number): Promise<Hash> {
  const hash = file.sha256 !== null ? createHash("sha256") : createHash("sha1").update(`blob ${file.size}\0`);
  if (length > 0) {
    for await (const chunk of createReadStream(path, { start: 0, end: length - 1 }))
      hash.update(chunk as Buffer);
  }
  return hash;
}

/** Dropped connections and the hub's own hiccups are retried; a refusal or a full disk is not. */
function transient(error: unknown): boolean {
  if (isCortexError(error)) return error.retryable;
  return !(
    error instanceof Error &&
    "code" in error &&
    typeof error.code === "string" &&
    error.code.startsWith("E")
  );
}

export function storageError(error: unknown, path: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new CortexError("insufficient_storage", `no space left writing ${path}`, { cause: error });
  }
  return error;
}
