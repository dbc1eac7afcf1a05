import { open, type FileHandle } from "node:fs/promises";

const DEFAULT_CHUNK_BYTES = 1 << 20;

/**
 * Buffers small writes into ~1 MiB chunks and awaits each file write before filling the next one: that
 * await is the backpressure that keeps a 200 MB model from ever being in memory at once.
 */
export class ChunkedFileWriter {
  readonly #file: FileHandle;
  #buffer: Buffer;
  #used = 0;
  #position = 0;

  private constructor(file: FileHandle, chunkBytes: number) {
    this.#file = file;
    this.#buffer = Buffer.alloc(chunkBytes);
  }

  static async create(path: string, chunkBytes = DEFAULT_CHUNK_BYTES): Promise<ChunkedFileWriter> {
    return new ChunkedFileWriter(await open(path, "w"), chunkBytes);
  }

  /** Bytes written so far, buffered ones included. */
  get position(): number {
    return this.#position;
  }

  /** Space for `byteLength` bytes in the buffer; the caller fills it, then calls `commit`. */
  async reserve(byteLength: number): Promise<{ buffer: Buffer; offset: number }> {
    if (this.#used + byteLength > this.#buffer.length) await this.flush();
    if (byteLength > this.#buffer.length) this.#buffer = Buffer.alloc(byteLength);
    return { buffer: this.#buffer, offset: this.#used };
  }

  commit(byteLength: number): void {
    this.#used += byteLength;
    this.#position += byteLength;
  }

  async write(bytes: Uint8Array): Promise<void> {
    const { buffer, offset } = await this.reserve(bytes.length);
    buffer.set(bytes, offset);
    this.commit(bytes.length);
  }

  async padTo(alignment: number): Promise<void> {
    const padding = (alignment - (this.#position % alignment)) % alignment;
    if (padding === 0) return;
    const { buffer, offset } = await this.reserve(padding);
    buffer.fill(0, offset, offset + padding);
    this.commit(padding);
  }

  async flush(): Promise<void> {
    let written = 0;
    while (written < this.#used) {
      const { bytesWritten } = await this.#file.write(this.#buffer, written, this.#used - written);
      written += bytesWritten;
    }
    this.#used = 0;
  }

  async close(): Promise<void> {
    try {
      await this.flush();
      await this.#file.sync();
    } finally {
      await this.#file.close();
    }
  }

  /** Closes without flushing, for error paths where the file is deleted anyway. */
  async abandon(): Promise<void> {
    await this.#file.close();
  }
}
