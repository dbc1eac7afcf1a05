import { open, rename } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Writing files that must survive a crash or power cut once they carry their final name (generated
 * models, conversions): contents are fsynced before the rename that publishes them, and the directory
 * after it, so the name never points at a file whose data is still only in the page cache.
 */

/** `writeFile`, then fsync before closing. */
export async function writeFileSynced(path: string, data: string | Uint8Array): Promise<void> {
  const file = await open(path, "w");
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Fsyncs a directory so the entries created or renamed in it are on disk. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch (error) {
    // Windows cannot open a directory, some file systems cannot sync one: nothing more can be done there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "EBADF") throw error;
  } finally {
    await handle?.close();
  }
}

/** Renames a complete (already fsynced) file or folder into place and makes the rename itself durable. */
export async function publish(from: string, to: string): Promise<void> {
  await rename(from, to);
  await syncDirectory(dirname(to));
}
