import { open, type FileHandle } from "node:fs/promises";
import { basename } from "node:path";
import { HfModelError } from "../hf-model-error.js";

/** Checkpoint files opened once each and read at offsets, so no tensor is ever read whole. */
export class SourceFiles {
  readonly #handles = new Map<string, Promise<FileHandle>>();

  async read(path: string, position: number, length: number): Promise<Buffer> {
    let handle = this.#handles.get(path);
    if (handle === undefined) {
      handle = open(path, "r");
      this.#handles.set(path, handle);
    }
    const file = await handle;
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
      if (bytesRead === 0) {
        throw new HfModelError(`${basename(path)} ended at byte ${position + filled}: the file is truncated`);
      }
      filled += bytesRead;
    }
    return buffer;
  }

  async close(): Promise<void> {
    const handles = [...this.#handles.values()];
    this.#handles.clear();
    await Promise.allSettled(handles.map(async (handle) => (await handle).close()));
  }
}
