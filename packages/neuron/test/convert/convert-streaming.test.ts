import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fixtureModel } from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertHfFolder } from "../../src/convert/index.js";
import { writeConvertedGguf } from "../../src/convert/write/write-converted-gguf.js";
import { makeTempDir } from "../synth/synth-test-runtime.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await makeTempDir()));
afterAll(async () => cleanup());

describe("streamed conversion", () => {
  it("gives the same bytes reading a row or a head at a time, reporting progress up to 1", async () => {
    const folder = await fixtureModel({ arch: "llama", format: "hf", dtype: "f32" });
    const out = join(dir, "chunked.gguf");
    const progress: number[] = [];
    await convertHfFolder({
      dir: folder,
      out,
      name: "tiny-random-llama",
      chunkBytes: 300,
      onProgress: (fraction) => progress.push(fraction),
    });
    expect((await readFile(out)).equals(await readFile(await fixtureModel({ arch: "llama" })))).toBe(true);
    expect(progress.length).toBeGreaterThan(100);
    expect(progress.every((value, index) => value >= (progress[index - 1] ?? 0) && value <= 1)).toBe(true);
    expect(progress.at(-1)).toBe(1);
  });

  it("stops on abort and leaves neither the output nor a partial file", async () => {
    const folder = await fixtureModel({ arch: "qwen3moe", format: "hf", dtype: "f32" });
    const out = join(dir, "aborted", "moe.gguf");
    const abort = new AbortController();
    let calls = 0;
    const conversion = convertHfFolder({
      dir: folder,
      out,
      chunkBytes: 4096,
      signal: abort.signal,
      onProgress: () => {
        if (++calls === 3) abort.abort(new Error("stop here"));
      },
    });
    await expect(conversion).rejects.toThrow("stop here");
    expect(await readdir(join(dir, "aborted"))).toEqual([]);
  });

  it("says which file ended early when a checkpoint shrinks under the converter", async () => {
    const source = join(dir, "short.safetensors");
    await writeFile(source, Buffer.alloc(8));
    const writing = writeConvertedGguf({
      path: join(dir, "short.gguf"),
      keyValues: [],
      tensors: [{ name: "t", dims: [4], type: "f32", sources: ["x"], permuteHeads: 0 }],
      weights: new Map([["x", { path: source, dtype: "F32" as const, begin: 0, end: 16 }]]),
    });
    await expect(writing).rejects.toThrow("short.safetensors ended at byte 8: the file is truncated");
  });
});
