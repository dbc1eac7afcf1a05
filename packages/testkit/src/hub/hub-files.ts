import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";

/** A file as a test hub repo holds it: on disk (a generated model) or literal bytes. */
export type HubFileSource = string | Uint8Array;

/** What the hub knows about one file of a repo: the tree entry's fields plus where the bytes are. */
export interface HubFile {
  readonly path: string;
  readonly size: number;
  /** Git blob id (sha1 of `blob <size>\0<content>`): the tree's `oid`, the ETag of a non-LFS file. */
  readonly gitOid: string;
  /** sha256 of the content: the tree's `lfs.oid`, the ETag of an LFS file. */
  readonly sha256: string;
  /** Stored with Git LFS: listed with `lfs`, and `resolve` redirects it to the CDN. */
  readonly lfs: boolean;
  readonly source: HubFileSource;
}

/**
 * The hub stores weights (and anything big) with LFS and keeps small text files in git, as the default
 * `.gitattributes` of a Hugging Face repo does.
 */
const LFS_EXTENSIONS = [".gguf", ".safetensors", ".bin", ".pt", ".pth", ".model"];
const LFS_MIN_BYTES = 10 * 1024 * 1024;

export async function describeHubFile(path: string, source: HubFileSource): Promise<HubFile> {
  const size = typeof source === "string" ? (await stat(source)).size : source.byteLength;
  const sha256 = createHash("sha256");
  const sha1 = createHash("sha1").update(`blob ${size}\0`);
  for await (const chunk of chunks(source)) {
    sha256.update(chunk);
    sha1.update(chunk);
  }
  const lfs = LFS_EXTENSIONS.some((extension) => path.endsWith(extension)) || size >= LFS_MIN_BYTES;
  return { path, size, gitOid: sha1.digest("hex"), sha256: sha256.digest("hex"), lfs, source };
}

/** The bytes `start..end` (inclusive) of a file. */
export function readHubFile(file: HubFile, start: number, end: number): AsyncIterable<Uint8Array> {
  if (typeof file.source === "string") return createReadStream(file.source, { start, end });
  const bytes = file.source.subarray(start, end + 1);
  return (async function* () {
    yield bytes;
  })();
}

function chunks(source: HubFileSource): AsyncIterable<Uint8Array> {
  if (typeof source === "string") return createReadStream(source);
  return (async function* () {
    yield source;
  })();
}
