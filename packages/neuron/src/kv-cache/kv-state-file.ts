import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { stableJson } from "@cortex/core";
import { z } from "zod";

/**
 * The on-disk form of a saved sequence state:
 *
 *   "CXKVST01" | u32 LE header length | header JSON | payload
 *
 * The payload is llama.cpp's own sequence state file (`llama_state_seq_save_file`), byte for byte. The
 * header says which model file and context settings produced it, which tokens it holds, and the
 * payload's size and SHA-256. llama.cpp checks none of that (a state of another model with the same
 * shapes loads silently, other mismatches can abort the process), so a file is only ever handed to it
 * after the header matched and the payload hashed right; anything else is discarded.
 */
const MAGIC = Buffer.from("CXKVST01", "latin1");
const PREFIX_BYTES = MAGIC.length + 4;
/** A header holds a token list; a million tokens is far beyond any context. */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;

/** What a state may only ever be loaded into. */
export interface StateIdentity {
  /** The model file: absolute path, size and modification time when it was loaded. */
  model: { path: string; size: number; mtimeMs: number };
  /** Context settings that change the KV cache's layout or capacity. */
  context: {
    contextSize: number;
    flashAttention: boolean;
    kvCacheKeyType: string;
    kvCacheValueType: string;
  };
  /** One per model load: states never outlive the load that made them (an unload drops them). */
  loadId: string;
}

const StateHeaderSchema = z.strictObject({
  version: z.literal(1),
  identity: z.unknown(),
  tokens: z.array(z.number().int().nonnegative()),
  payloadBytes: z.number().int().positive(),
  payloadSha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export type StateFileProblem = "corrupt" | "mismatch";

export class StateFileError extends Error {
  readonly problem: StateFileProblem;

  constructor(problem: StateFileProblem, message: string) {
    super(message);
    this.name = "StateFileError";
    this.problem = problem;
  }
}

/**
 * Writes `path` atomically: a temporary file next to it, fsync, rename. `payload` is llama.cpp's state,
 * in memory or in a file.
 */
export async function writeStateFile(
  path: string,
  content: { identity: StateIdentity; tokens: readonly number[] },
  payload: Buffer | { file: string },
): Promise<number> {
  const { bytes: payloadBytes, sha256 } = Buffer.isBuffer(payload)
    ? { bytes: payload.length, sha256: createHash("sha256").update(payload).digest("hex") }
    : await hashFile(payload.file);
  const header = Buffer.from(
    JSON.stringify({
      version: 1,
      identity: content.identity,
      tokens: content.tokens,
      payloadBytes,
      payloadSha256: sha256,
    }),
  );
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix);
  prefix.writeUInt32LE(header.length, MAGIC.length);
  const temporary = `${path}.tmp`;
  try {
    const handle = await open(temporary, "w");
    try {
      await handle.write(prefix);
      await handle.write(header);
      if (Buffer.isBuffer(payload)) await handle.write(payload);
      else for await (const chunk of createReadStream(payload.file)) await handle.write(chunk as Buffer);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return PREFIX_BYTES + header.length + payloadBytes;
}

/**
 * Checks `path` against what the caller expects (same identity, same tokens), and copies its payload to
 * `scratch` (a plain llama.cpp state file) while hashing it. Throws StateFileError when anything does
 * not match; `scratch` is then removed.
 */
export async function extractStateFile(
  path: string,
  expected: { identity: StateIdentity; tokens: ArrayLike<number> },
  scratch: string,
): Promise<void> {
  const handle = await open(path, "r");
  let header: z.infer<typeof StateHeaderSchema>;
  let payloadStart: number;
  try {
    const size = (await handle.stat()).size;
    const prefix = Buffer.alloc(PREFIX_BYTES);
    const { bytesRead } = await handle.read(prefix, 0, PREFIX_BYTES, 0);
    if (bytesRead < PREFIX_BYTES || !prefix.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new StateFileError("corrupt", "not a cortex KV state file");
    }
    const headerBytes = prefix.readUInt32LE(MAGIC.length);
    if (headerBytes > MAX_HEADER_BYTES || PREFIX_BYTES + headerBytes > size) {
      throw new StateFileError("corrupt", `header length ${headerBytes} does not fit the file`);
    }
    const headerBuffer = Buffer.alloc(headerBytes);
    await handle.read(headerBuffer, 0, headerBytes, PREFIX_BYTES);
    header = parseHeader(headerBuffer);
    payloadStart = PREFIX_BYTES + headerBytes;
    if (payloadStart + header.payloadBytes !== size) {
      throw new StateFileError(
        "corrupt",
        `payload is ${size - payloadStart} bytes, the header says ${header.payloadBytes}`,
      );
    }
  } finally {
    await handle.close();
  }
  if (stableJson(header.identity) !== stableJson(expected.identity)) {
    throw new StateFileError("mismatch", "saved for another model file or other context settings");
  }
  if (!sameTokens(header.tokens, expected.tokens)) {
    throw new StateFileError("mismatch", "holds other tokens than the tier's index says");
  }
  const hash = createHash("sha256");
  try {
    await pipeline(
      createReadStream(path, { start: payloadStart }),
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      }),
      createWriteStream(scratch),
    );
    if (hash.digest("hex") !== header.payloadSha256) {
      throw new StateFileError("corrupt", "payload checksum mismatch");
    }
  } catch (error) {
    await rm(scratch, { force: true });
    throw error;
  }
}

function parseHeader(buffer: Buffer): z.infer<typeof StateHeaderSchema> {
  let json: unknown;
  try {
    json = JSON.parse(buffer.toString("utf8"));
  } catch {
    throw new StateFileError("corrupt", "header is not JSON");
  }
  const parsed = StateHeaderSchema.safeParse(json);
  if (!parsed.success) throw new StateFileError("corrupt", `bad header: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

async function hashFile(file: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest("hex") };
}

export function sameTokens(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}
