import { describe, expect, it } from "vitest";
import { planGgufLayout } from "../../src/synth/gguf/gguf-header.js";
import { ggufMetadata } from "../../src/synth/model/gguf-metadata.js";
import { buildModelParts } from "../../src/synth/model/model-parts.js";
import type { SynthArch } from "../../src/synth/index.js";

const MB = 1_000_000;

/** Sizes without writing: the layout is fixed by the shapes alone. Loading a small model is too slow for the suite. */
describe.each(["llama", "qwen3", "qwen3moe"] as SynthArch[])("small %s", (arch) => {
  const parts = buildModelParts({ arch, size: "small", seed: 42, ends: false, contextLength: 131_072 });
  const { shape } = parts;

  it("is 100–200 MB at f16 with Q8_0-compatible widths", () => {
    const metadata = ggufMetadata(shape, "f16", parts.vocabulary, parts.chatTemplate);
    const layout = planGgufLayout(
      metadata,
      parts.tensors.map((t) => ({ name: t.name, dims: t.dims, type: t.alwaysF32 ? "f32" : "f16" })),
      32,
    );
    expect(layout.totalBytes).toBeGreaterThan(100 * MB);
    expect(layout.totalBytes).toBeLessThan(200 * MB);
    expect(parts.parameters).toBeGreaterThan(80 * MB);
    for (const tensor of parts.tensors) {
      if (!tensor.alwaysF32) expect((tensor.dims[0] ?? 0) % 32, tensor.name).toBe(0);
    }
  });

  it("has consistent attention and expert shapes", () => {
    expect(shape.heads % shape.kvHeads).toBe(0);
    expect(shape.hidden % 32).toBe(0);
    const q = parts.tensors.find((t) => t.name === "blk.0.attn_q.weight");
    const k = parts.tensors.find((t) => t.name === "blk.0.attn_k.weight");
    expect(q?.dims).toEqual([shape.hidden, shape.heads * shape.headDim]);
    expect(k?.dims).toEqual([shape.hidden, shape.kvHeads * shape.headDim]);
    if (arch === "qwen3moe") {
      expect(shape.expertsUsed).toBeLessThanOrEqual(shape.experts);
      const down = parts.tensors.find((t) => t.name === "blk.0.ffn_down_exps.weight");
      expect(down?.dims).toEqual([shape.expertFfn, shape.hidden, shape.experts]);
    }
  });
});
