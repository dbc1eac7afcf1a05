import { stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import { GgmlType, getLlama, readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GGML_TYPE_LAYOUT, requiredPartBytes, truncationProblem } from "../../src/models/gguf-data-extent.js";
import { LlamaCppEngine } from "../../src/engine/llama-cpp/llama-cpp-engine.js";
import { synthModel } from "../../src/synth/index.js";
import { makeTempDir } from "../synth/synth-test-runtime.js";

let dir: string;
let cleanup: () => Promise<void>;
const engine = new LlamaCppEngine({
  gpu: "cpu",
  threads: { decode: 1, batch: 1 },
  queueLimit: 1,
  log: () => undefined,
});

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});

afterAll(async () => {
  await engine.dispose();
  await cleanup();
});

describe("GGUF data extent", () => {
  it("knows every ggml type's block layout as the bundled llama.cpp reports it", async () => {
    // node-llama-cpp's binding is internal; this test is what notices if a new version changes a type.
    const llama = await getLlama({ gpu: false, build: "never" });
    const bindings = (
      llama as unknown as {
        _bindings: {
          getBlockSizeForGgmlType(type: number): number | undefined;
          getTypeSizeForGgmlType(type: number): number | undefined;
        };
      }
    )._bindings;
    for (const [type, [block, bytes]] of Object.entries(GGML_TYPE_LAYOUT)) {
      const name = GgmlType[Number(type)];
      expect(
        [bindings.getBlockSizeForGgmlType(Number(type)), bindings.getTypeSizeForGgmlType(Number(type))],
        name,
      ).toEqual([block, bytes]);
    }
  });

  it.each(["f32", "f16", "q8_0"] as const)(
    "a whole %s file (single and split) holds exactly its tensors' data",
    async (quant) => {
      for (const splits of [1, 3]) {
        const out = join(dir, `${quant}-${splits}.gguf`);
        const result = await synthModel({ arch: "qwen3moe", quant, splits, out });
        const info = await readGgufFileInfo(result.path, { logWarnings: false });
        const sizes = await Promise.all(result.files.map(async (file) => (await stat(file)).size));
        expect(truncationProblem(info.fullTensorInfo ?? [], sizes)).toBeNull();
        const required = requiredPartBytes(info.fullTensorInfo ?? []);
        expect([...required.values()].reduce((sum, end) => sum + end, 0)).toBe(
          sizes.reduce((sum, size) => sum + size, 0),
        );
      }
    },
  );

  it("a truncated GGUF whose header is intact is failed at scan with the reason (single and split)", async () => {
    const single = await synthModel({ arch: "llama", out: join(dir, "cut.gguf") });
    await truncate(single.path, single.bytes - 1);
    expect(await engine.inspect(single.path)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(
        /^truncated GGUF: tensor data ends at byte \d+ but the file has \d+ bytes;/,
      ),
    });
    const split = await synthModel({ arch: "llama", splits: 2, out: join(dir, "cutsplit.gguf") });
    const second = split.files[1] ?? "";
    await truncate(second, 4096);
    expect(await engine.inspect(split.path)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/\(part 2 of 2\)/),
    });
  });
});
