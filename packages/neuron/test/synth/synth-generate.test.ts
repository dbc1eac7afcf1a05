import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { LlamaCompletion, readGgufFileInfo, type Llama, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { synthModel, type SynthArch, type SynthQuant } from "../../src/synth/index.js";
import { makeTempDir, PRINTABLE, testLlama } from "./synth-test-runtime.js";

const ARCHS: SynthArch[] = ["llama", "qwen3", "qwen3moe"];
const QUANTS: SynthQuant[] = ["f32", "f16", "q8_0"];
const TENSOR_COUNTS: Record<SynthArch, number> = { llama: 21, qwen3: 25, qwen3moe: 27 };
const MAX_TOKENS = 48;

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

async function greedy(
  model: LlamaModel,
  prompt: string,
): Promise<{ text: string; tokens: number; stop: string }> {
  const context = await model.createContext({ contextSize: 512, threads: 1 });
  try {
    let tokens = 0;
    const result = await new LlamaCompletion({
      contextSequence: context.getSequence(),
    }).generateCompletionWithMeta(prompt, {
      maxTokens: MAX_TOKENS,
      temperature: 0,
      onToken: (chunk) => void (tokens += chunk.length),
    });
    return { text: result.response, tokens, stop: result.metadata.stopReason };
  } finally {
    await context.dispose();
  }
}

describe.each(ARCHS)("tiny %s", (arch) => {
  it.each(QUANTS)(
    "%s loads and generates exactly maxTokens printable tokens, deterministically",
    async (quant) => {
      const result = await synthModel({ arch, quant, out: join(dir, `${arch}-${quant}.gguf`) });
      expect(result.tensorCount).toBe(TENSOR_COUNTS[arch]);
      const info = await readGgufFileInfo(result.path, { logWarnings: false });
      expect(info.metadata.general).toMatchObject({
        architecture: arch,
        name: `tiny-random-${arch}`,
        file_type: { f32: 0, f16: 1, q8_0: 7 }[quant],
      });
      expect(
        (info.metadata.general as unknown as { quantization_version?: number }).quantization_version,
      ).toBe(quant === "q8_0" ? 2 : undefined);

      const model = await llama.loadModel({ modelPath: result.path });
      try {
        const first = await greedy(model, "The tool returned");
        const second = await greedy(model, "The tool returned");
        expect(first).toEqual(second);
        expect(first.tokens).toBe(MAX_TOKENS);
        expect(first.stop).toBe("maxTokens");
        expect(first.text).toMatch(PRINTABLE);
        expect(first.text.length).toBeGreaterThan(MAX_TOKENS);
      } finally {
        await model.dispose();
      }
      // The full key set makes llama.cpp load silently (docs/node-llama-cpp.md §2.1).
      expect(warnings).toEqual([]);
    },
  );
});

describe("determinism", () => {
  it("writes byte-identical files for the same options and different ones for another seed", async () => {
    const paths = await Promise.all(
      [7, 7, 8].map((seed, i) =>
        synthModel({ arch: "qwen3moe", quant: "q8_0", seed, out: join(dir, `seed-${i}.gguf`) }),
      ),
    );
    const [a, b, c] = await Promise.all(paths.map((p) => readFile(p.path)));
    expect(a?.equals(b ?? Buffer.alloc(0))).toBe(true);
    expect(a?.length).toBe(c?.length);
    expect(a?.equals(c ?? Buffer.alloc(0))).toBe(false);
  });

  it("different architectures with the same seed say different things", async () => {
    const texts: string[] = [];
    for (const arch of ARCHS) {
      const { path } = await synthModel({ arch, out: join(dir, `diff-${arch}.gguf`) });
      const model = await llama.loadModel({ modelPath: path });
      texts.push((await greedy(model, "Hello")).text);
      await model.dispose();
    }
    expect(new Set(texts).size).toBe(3);
  });
});

describe("split GGUF sets", () => {
  it("writes the parts llama.cpp loads as one model, saying exactly what the single file says", async () => {
    const single = await synthModel({ arch: "qwen3", out: join(dir, "whole.gguf") });
    const split = await synthModel({ arch: "qwen3", splits: 3, out: join(dir, "parts.gguf") });
    expect(split.files.map((file) => file.slice(dir.length + 1))).toEqual([
      "parts-00001-of-00003.gguf",
      "parts-00002-of-00003.gguf",
      "parts-00003-of-00003.gguf",
    ]);
    expect(split.path).toBe(split.files[0]);
    expect(split.tensorCount).toBe(single.tensorCount);
    const info = await readGgufFileInfo(split.path, { logWarnings: false });
    expect(info.splicedParts).toBe(3);
    expect(info.fullTensorInfo?.length).toBe(single.tensorCount);

    const texts: string[] = [];
    for (const path of [single.path, split.path]) {
      const model = await llama.loadModel({ modelPath: path });
      texts.push((await greedy(model, "Hello")).text);
      await model.dispose();
    }
    expect(texts[1]).toBe(texts[0]);
    expect(warnings).toEqual([]);
  });
});
