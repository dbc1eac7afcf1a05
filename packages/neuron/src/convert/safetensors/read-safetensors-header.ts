import { open } from "node:fs/promises";
import { basename } from "node:path";
import { HfModelError } from "../hf-model-error.js";
import {
  MAX_SAFETENSORS_HEADER_BYTES,
  parseSafetensorsHeader,
  type SafetensorsHeader,
} from "./safetensors-header.js";

/** Reads only the header of a safetensors file (two small reads), never its tensor data. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader & { fileSize: number }> {
  const file = basename(path);
  const handle = await open(path, "r").catch((error: NodeJS.ErrnoException) => {
    throw new HfModelError(
      error.code === "ENOENT"
        ? `${file} is missing`
        : `${file} cannot be opened: ${error.code ?? error.message}`,
    );
  });
  try {
    const { size } = await handle.stat();
    if (size < 8)
      throw new HfModelError(`${file} is corrupt: ${size} bytes is too short for a safetensors file`);
    const prefix = Buffer.alloc(8);
    await handle.read(prefix, 0, 8, 0);
    const length = prefix.readBigUInt64LE(0);
    if (length > BigInt(Math.min(MAX_SAFETENSORS_HEADER_BYTES, size - 8))) {
      throw new HfModelError(`${file} is corrupt: header length ${length} does not fit in ${size} bytes`);
    }
    const headerLength = Number(length);
    const json = Buffer.alloc(headerLength);
    const { bytesRead } = await handle.read(json, 0, headerLength, 8);
    if (bytesRead !== headerLength) throw new HfModelError(`${file} is truncated inside its header`);
    return { ...parseSafetensorsHeader(json.toString("utf8"), headerLength, size, file), fileSize: size };
  } finally {
    await handle.close();
  }
}
