import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { extractStateFile, writeStateFile, type StateIdentity } from "../../src/kv-cache/kv-state-file.js";
import { useTempDirs } from "./support/temp-dir.js";

const tempDir = useTempDirs("kv-state-file");
const identity: StateIdentity = {
  model: { path: "/models/a.gguf", size: 1234, mtimeMs: 5 },
  context: { contextSize: 4096, flashAttention: true, kvCacheKeyType: "f16", kvCacheValueType: "f16" },
  loadId: "load-1",
};
const tokens = [1, 2, 3, 4];
const payload = Buffer.from("llama.cpp state bytes ".repeat(100));

async function written(): Promise<{ dir: string; file: string; scratch: string }> {
  const dir = await tempDir();
  const file = join(dir, "a.kvs");
  await writeStateFile(file, { identity, tokens }, payload);
  return { dir, file, scratch: join(dir, "scratch") };
}

describe("KV state files", () => {
  it("round-trips the payload from memory and from a file, leaving no temporary file", async () => {
    const { dir, file, scratch } = await written();
    await extractStateFile(file, { identity, tokens }, scratch);
    expect((await readFile(scratch)).equals(payload)).toBe(true);
    const copy = join(dir, "b.kvs");
    await writeStateFile(copy, { identity, tokens }, { file: scratch });
    expect((await readFile(copy)).equals(await readFile(file))).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(["a.kvs", "b.kvs", "scratch"]);
  });

  it.each([
    [
      "a flipped payload bit",
      (bytes: Buffer) => bytes.with(bytes.length - 1, (bytes.at(-1) ?? 0) ^ 1),
      /checksum/,
    ],
    ["a truncated file", (bytes: Buffer) => bytes.subarray(0, bytes.length - 10), /payload is/],
    ["an appended byte", (bytes: Buffer) => Buffer.concat([bytes, Buffer.from([0])]), /payload is/],
    ["a foreign file", () => Buffer.from("GGSQ\u0001\u0000\u0000\u0000rest"), /not a cortex KV state file/],
    ["a header that is not JSON", (bytes: Buffer) => bytes.with(12, 0x7b ^ 0x20), /not JSON/],
  ])("refuses %s as corrupt and leaves no scratch file", async (_case, damage, message) => {
    const { file, scratch, dir } = await written();
    await writeFile(file, Buffer.from(damage(await readFile(file))));
    await expect(extractStateFile(file, { identity, tokens }, scratch)).rejects.toMatchObject({
      problem: "corrupt",
      message: expect.stringMatching(message),
    });
    expect(await readdir(dir)).toEqual(["a.kvs"]);
  });

  it.each([
    ["another model file", { ...identity, model: { ...identity.model, mtimeMs: 6 } }, tokens],
    ["another context size", { ...identity, context: { ...identity.context, contextSize: 8192 } }, tokens],
    ["another load", { ...identity, loadId: "load-2" }, tokens],
    ["other tokens", identity, [1, 2, 3, 5]],
  ])("refuses a file made for %s as a mismatch", async (_case, expected, expectedTokens) => {
    const { file, scratch } = await written();
    await expect(
      extractStateFile(file, { identity: expected, tokens: expectedTokens }, scratch),
    ).rejects.toMatchObject({ problem: "mismatch" });
  });
});
