import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fixtureModel } from "@cortex/testkit";
import { readGgufFileInfo, type Llama } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertHfFolder } from "../../src/convert/index.js";
import { toBfloat16Bits } from "../../src/synth/encode/half-float.js";
import type { SynthArch } from "../../src/synth/index.js";
import { makeTempDir, PRINTABLE, testLlama } from "../synth/synth-test-runtime.js";
import { greedyTokens } from "./convert-test-runtime.js";

/**
 * The synthetic generator writes the same weights as a GGUF (the reference) and as an HF folder. A
 * faithful conversion must give back the reference byte for byte (general.name aside, which we pass),
 * and so exactly the same greedy tokens.
 */
const ARCHS: SynthArch[] = ["llama", "qwen3", "qwen3moe"];

let llama: Llama;
let warnings: string[];
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ llama, warnings } = await testLlama());
  ({ dir, cleanup } = await makeTempDir());
});
afterAll(async () => {
  await llama.dispose();
  await cleanup();
});

describe.each(ARCHS)("%s: HF folder → GGUF", (arch) => {
  it("is byte-identical to the directly written GGUF and generates exactly the same tokens", async () => {
    const reference = await fixtureModel({ arch, quant: "f32" });
    const folder = await fixtureModel({ arch, format: "hf", dtype: "f32" });
    const out = join(dir, `${arch}.gguf`);
    const result = await convertHfFolder({ dir: folder, out, name: `tiny-random-${arch}` });

    expect(result).toMatchObject({ path: out, architecture: arch, fileType: 0 });
    expect((await readFile(out)).equals(await readFile(reference))).toBe(true);
    const expected = await greedyTokens(llama, reference);
    expect(expected).toHaveLength(24);
    expect(await greedyTokens(llama, out)).toEqual(expected);
    expect(warnings).toEqual([]);
  });

  it("with --quant q8_0 is byte-identical to the generator's own Q8_0 GGUF", async () => {
    const reference = await fixtureModel({ arch, quant: "q8_0" });
    const out = join(dir, `${arch}-q8_0.gguf`);
    await convertHfFolder({
      dir: await fixtureModel({ arch, format: "hf", dtype: "f32" }),
      out,
      target: "q8_0",
      name: `tiny-random-${arch}`,
    });
    expect((await readFile(out)).equals(await readFile(reference))).toBe(true);
  });
});

describe("sharded and bfloat16 folders", () => {
  it("converts a 2-shard folder (model.safetensors.index.json) to the same bytes and tokens", async () => {
    const folder = await fixtureModel({ arch: "qwen3moe", format: "hf", shards: 2 });
    expect((await readdir(folder)).filter((name) => name.includes("safetensors")).sort()).toEqual([
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
    ]);
    const reference = await fixtureModel({ arch: "qwen3moe", quant: "f32" });
    const out = join(dir, "moe-sharded.gguf");
    await convertHfFolder({ dir: folder, out, name: "tiny-random-qwen3moe" });
    expect((await readFile(out)).equals(await readFile(reference))).toBe(true);
    expect(await greedyTokens(llama, out)).toEqual(await greedyTokens(llama, reference));
  });

  it("keeps BF16 as GGUF type 30 (bit-exact bfloat16 of the reference), and it loads and generates", async () => {
    const folder = await fixtureModel({ arch: "qwen3", format: "hf", dtype: "bf16" });
    const reference = await fixtureModel({ arch: "qwen3", quant: "f32" });
    const out = join(dir, "qwen3-bf16.gguf");
    const result = await convertHfFolder({ dir: folder, out });
    expect(result.fileType).toBe(32);

    const [converted, original] = await Promise.all([readGgufFileInfo(out), readGgufFileInfo(reference)]);
    expect(converted.metadata.general.name).toBe(folder.split("/").at(-1));
    const [file, referenceFile] = await Promise.all([readFile(out), readFile(reference)]);
    const referenceTensors = new Map(original.fullTensorInfo?.map((tensor) => [tensor.name, tensor]));
    for (const tensor of converted.fullTensorInfo ?? []) {
      const source = referenceTensors.get(tensor.name);
      if (source === undefined) throw new Error(`reference has no ${tensor.name}`);
      const values = tensor.dimensions.reduce<number>((a, b) => a * Number(b), 1);
      const start = Number(tensor.fileOffset);
      const referenceStart = Number(source.fileOffset);
      // Norms stay F32 (exactly the bf16-rounded values); matrices are BF16.
      expect(tensor.ggmlType, tensor.name).toBe(tensor.dimensions.length === 1 ? 0 : 30);
      let mismatches = 0;
      for (let index = 0; index < values; index++) {
        const bits = toBfloat16Bits(referenceFile.readFloatLE(referenceStart + 4 * index));
        const bf16 = tensor.ggmlType === 30;
        const stored = bf16 ? file.readUInt16LE(start + 2 * index) : file.readUInt32LE(start + 4 * index);
        if (stored !== (bf16 ? bits : (bits << 16) >>> 0)) mismatches++;
      }
      expect(mismatches, tensor.name).toBe(0);
    }
    const tokens = await greedyTokens(llama, out);
    expect(tokens).toHaveLength(24);
    const model = await llama.loadModel({ modelPath: out });
    expect(model.detokenize(tokens)).toMatch(PRINTABLE);
    await model.dispose();
  });
});
