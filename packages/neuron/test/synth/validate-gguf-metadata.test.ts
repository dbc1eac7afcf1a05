import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateGgufMetadata } from "../../src/models/validate-gguf-metadata.js";
import { synthModel, type SynthArch } from "../../src/synth/index.js";
import { makeTempDir } from "./synth-test-runtime.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await makeTempDir()));
afterAll(async () => cleanup());

async function metadataOf(arch: SynthArch, omitKeys: string[] = []): Promise<unknown> {
  const { path } = await synthModel({
    arch,
    omitKeys,
    out: join(dir, `${arch}-${omitKeys.join("+") || "ok"}.gguf`),
  });
  // Never loadModel here: a file missing these keys would abort the test process.
  return (await readGgufFileInfo(path, { logWarnings: false })).metadata;
}

describe("validateGgufMetadata on generated files", () => {
  it.each(["llama", "qwen3", "qwen3moe"] as SynthArch[])("accepts a complete %s file", async (arch) => {
    expect(validateGgufMetadata(await metadataOf(arch))).toEqual({ ok: true, architecture: arch });
  });

  it.each([
    [
      "qwen3moe",
      "qwen3moe.expert_count",
      "missing GGUF key qwen3moe.expert_count (llama.cpp would abort the process)",
    ],
    [
      "qwen3moe",
      "qwen3moe.expert_used_count",
      "missing GGUF key qwen3moe.expert_used_count (llama.cpp would abort the process)",
    ],
    [
      "qwen3",
      "qwen3.feed_forward_length",
      "missing GGUF key qwen3.feed_forward_length (llama.cpp would abort the process)",
    ],
    [
      "llama",
      "llama.context_length",
      "missing GGUF key llama.context_length (llama.cpp cannot load the model)",
    ],
    [
      "qwen3",
      "qwen3.attention.layer_norm_rms_epsilon",
      "missing GGUF key qwen3.attention.layer_norm_rms_epsilon (llama.cpp cannot load the model)",
    ],
    [
      "llama",
      "tokenizer.ggml.merges",
      "missing GGUF key tokenizer.ggml.merges (llama.cpp cannot load the model)",
    ],
  ] as [SynthArch, string, string][])("flags %s without %s", async (arch, key, reason) => {
    expect(validateGgufMetadata(await metadataOf(arch, [key]))).toEqual({ ok: false, reason });
  });
});

describe("validateGgufMetadata rules", () => {
  const base = () => ({
    general: { architecture: "qwen3moe" },
    qwen3moe: {
      context_length: 4096,
      embedding_length: 64,
      block_count: 2,
      feed_forward_length: 128,
      attention: { head_count: 4, head_count_kv: 2, layer_norm_rms_epsilon: 1e-6 },
      expert_count: 4,
      expert_used_count: 2,
    },
    tokenizer: { ggml: { model: "gpt2", tokens: ["a"], merges: ["a a"] } },
  });

  it("names the supported set for other architectures", () => {
    expect(validateGgufMetadata({ ...base(), general: { architecture: "gemma2" } })).toEqual({
      ok: false,
      reason: 'unsupported GGUF architecture "gemma2" (supported: llama, qwen3, qwen3moe)',
    });
  });

  it("checks head_count_kv divides head_count", () => {
    const metadata = base();
    metadata.qwen3moe.attention.head_count_kv = 3;
    expect(validateGgufMetadata(metadata)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/head_count_kv \(3\) must divide head_count \(4\)/),
    });
  });

  it("checks the expert counts", () => {
    const tooMany = base();
    tooMany.qwen3moe.expert_used_count = 5;
    expect(validateGgufMetadata(tooMany)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/expert_used_count \(5\) exceeds expert_count \(4\)/),
    });
    const zero = base();
    zero.qwen3moe.expert_used_count = 0;
    expect(validateGgufMetadata(zero)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/must be a positive integer/),
    });
  });

  it("requires a byte-level BPE tokenizer with tokens and merges", () => {
    const spm = base();
    spm.tokenizer.ggml.model = "llama";
    expect(validateGgufMetadata(spm)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/tokenizer.ggml.model "llama"/),
    });
    const empty = base();
    empty.tokenizer.ggml.merges = [];
    expect(validateGgufMetadata(empty)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/tokenizer.ggml.merges must be a non-empty array/),
    });
  });

  it("accepts 64-bit integers as bigint", () => {
    const metadata = base() as unknown as { qwen3moe: { context_length: unknown } };
    metadata.qwen3moe.context_length = 4096n;
    expect(validateGgufMetadata(metadata)).toEqual({ ok: true, architecture: "qwen3moe" });
  });
});
