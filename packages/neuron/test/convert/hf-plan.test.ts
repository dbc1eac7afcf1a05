import { describe, expect, it } from "vitest";
import { parseHfConfig, type HfModelConfig } from "../../src/convert/hf/hf-model-config.js";
import { buildHfVocabulary, GGUF_TOKEN_TYPE } from "../../src/convert/hf/hf-vocabulary.js";
import { planGgufTensors, type WeightInfo } from "../../src/convert/plan/gguf-tensor-plan.js";
import { llama3RopeFactors } from "../../src/convert/plan/llama3-rope-factors.js";
import { parseSafetensorsHeader } from "../../src/convert/safetensors/safetensors-header.js";

const LLAMA = {
  model_type: "llama",
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 1,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-5,
  rope_theta: 500000,
  max_position_embeddings: 4096,
  vocab_size: 8,
};

/** The checkpoint tensors a 1-layer llama of LLAMA's shape has. */
function llamaWeights(dtype = "BF16"): Map<string, WeightInfo> {
  const w = (shape: number[]): WeightInfo => ({ dtype, shape });
  return new Map([
    ["model.embed_tokens.weight", w([8, 64])],
    ["model.layers.0.input_layernorm.weight", w([64])],
    ["model.layers.0.self_attn.q_proj.weight", w([64, 64])],
    ["model.layers.0.self_attn.k_proj.weight", w([32, 64])],
    ["model.layers.0.self_attn.v_proj.weight", w([32, 64])],
    ["model.layers.0.self_attn.o_proj.weight", w([64, 64])],
    ["model.layers.0.post_attention_layernorm.weight", w([64])],
    ["model.layers.0.mlp.gate_proj.weight", w([128, 64])],
    ["model.layers.0.mlp.up_proj.weight", w([128, 64])],
    ["model.layers.0.mlp.down_proj.weight", w([64, 128])],
    ["model.norm.weight", w([64])],
    ["lm_head.weight", w([8, 64])],
  ]);
}

describe("parseSafetensorsHeader", () => {
  const header = (entries: object): string => JSON.stringify({ __metadata__: { format: "pt" }, ...entries });

  it("reads dtype, shape and absolute offsets", () => {
    const json = header({ a: { dtype: "F16", shape: [2, 3], data_offsets: [0, 12] } });
    const parsed = parseSafetensorsHeader(json, json.length, 8 + json.length + 12, "x.safetensors");
    expect(parsed.tensors.get("a")).toEqual({
      dtype: "F16",
      shape: [2, 3],
      begin: 8 + json.length,
      end: 20 + json.length,
    });
  });

  it.each([
    ["not json", "{", 100, /header is not JSON/],
    ["a list", "[]", 100, /not a JSON object/],
    [
      "bad offsets",
      header({ a: { dtype: "F32", shape: [2], data_offsets: [8, 0] } }),
      500,
      /bad header entry for a/,
    ],
    [
      "size mismatch",
      header({ a: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }),
      500,
      /\(8 bytes\) but its data_offsets span 4/,
    ],
    [
      "truncated",
      header({ a: { dtype: "F32", shape: [64], data_offsets: [0, 256] } }),
      150,
      /truncated: a ends at byte/,
    ],
    [
      "overlap",
      header({
        a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
        b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
      }),
      500,
      /tensors a and b overlap/,
    ],
  ])("rejects %s", (_what, json, fileSize, message) => {
    expect(() => parseSafetensorsHeader(json, json.length, fileSize, "x.safetensors")).toThrow(message);
  });
});

describe("parseHfConfig", () => {
  it("fills defaults and maps the family", () => {
    const { model_type: _type, ...rest } = LLAMA;
    const config = parseHfConfig({
      ...rest,
      model_type: "qwen3",
      num_key_value_heads: undefined,
      head_dim: null,
    });
    expect(config).toMatchObject({
      arch: "qwen3",
      kvHeads: 4,
      headDim: 16,
      tieEmbeddings: false,
      experts: 0,
    });
  });

  it.each([
    [
      { model_type: "mistral" },
      /model_type "mistral" is not supported \(supported: llama, qwen3, qwen3_moe\)/,
    ],
    [{ num_key_value_heads: 3 }, /num_key_value_heads \(3\) must divide num_attention_heads \(4\)/],
    [{ hidden_size: "64" }, /hidden_size must be a positive integer/],
    [{ intermediate_size: undefined }, /missing intermediate_size/],
    [{ rope_scaling: { rope_type: "longrope", factor: 2 } }, /rope_scaling type "longrope" is not supported/],
    [{ model_type: "qwen3_moe", num_experts: 4, num_experts_per_tok: 2 }, /missing moe_intermediate_size/],
    [
      {
        model_type: "qwen3_moe",
        num_experts: 4,
        num_experts_per_tok: 2,
        moe_intermediate_size: 8,
        mlp_only_layers: [0],
      },
      /mlp_only_layers/,
    ],
  ])("rejects %j", (change, message) => {
    expect(() => parseHfConfig({ ...LLAMA, ...change })).toThrow(message);
  });

  it("reads rope scaling in both spellings", () => {
    expect(parseHfConfig({ ...LLAMA, rope_scaling: { type: "linear", factor: 2 } }).ropeScaling).toEqual({
      type: "linear",
      factor: 2,
    });
    expect(
      parseHfConfig({
        ...LLAMA,
        model_type: "qwen3",
        rope_scaling: { rope_type: "yarn", factor: 4, original_max_position_embeddings: 32768 },
      }).ropeScaling,
    ).toEqual({ type: "yarn", factor: 4, originalContext: 32768 });
  });
});

describe("planGgufTensors", () => {
  const config = parseHfConfig(LLAMA);

  it("names, shapes and types tensors as llama.cpp expects, permuting llama q/k only", () => {
    const plan = planGgufTensors(config, llamaWeights(), "auto");
    expect(plan.tensors.map((t) => [t.name, t.dims, t.type, t.permuteHeads])).toEqual([
      ["token_embd.weight", [64, 8], "bf16", 0],
      ["blk.0.attn_norm.weight", [64], "f32", 0],
      ["blk.0.attn_q.weight", [64, 64], "bf16", 4],
      ["blk.0.attn_k.weight", [64, 32], "bf16", 2],
      ["blk.0.attn_v.weight", [64, 32], "bf16", 0],
      ["blk.0.attn_output.weight", [64, 64], "bf16", 0],
      ["blk.0.ffn_norm.weight", [64], "f32", 0],
      ["blk.0.ffn_gate.weight", [64, 128], "bf16", 0],
      ["blk.0.ffn_up.weight", [64, 128], "bf16", 0],
      ["blk.0.ffn_down.weight", [128, 64], "bf16", 0],
      ["output_norm.weight", [64], "f32", 0],
      ["output.weight", [64, 8], "bf16", 0],
    ]);
    expect(plan).toMatchObject({ vocabRows: 8, sourceDtype: "BF16", fileType: 32 });
    expect(planGgufTensors(config, llamaWeights(), "q8_0").tensors[0]?.type).toBe("q8_0");
  });

  it("omits output.weight for tied embeddings, with or without a saved lm_head", () => {
    const tied: HfModelConfig = { ...config, tieEmbeddings: true };
    const withoutHead = llamaWeights();
    withoutHead.delete("lm_head.weight");
    for (const weights of [llamaWeights(), withoutHead]) {
      expect(planGgufTensors(tied, weights, "auto").tensors.map((t) => t.name)).not.toContain(
        "output.weight",
      );
    }
    expect(() => planGgufTensors(config, withoutHead, "auto")).toThrow(/no lm_head.weight/);
  });

  it("adds llama3 rope_freqs as computed F32 values", () => {
    const scaled = parseHfConfig({
      ...LLAMA,
      rope_scaling: {
        rope_type: "llama3",
        factor: 8,
        low_freq_factor: 1,
        high_freq_factor: 4,
        original_max_position_embeddings: 8192,
      },
    });
    const ropeFreqs = planGgufTensors(scaled, llamaWeights(), "auto").tensors.find(
      (t) => t.name === "rope_freqs.weight",
    );
    expect(ropeFreqs?.dims).toEqual([8]);
    // Highest frequencies are kept, the lowest scaled by the full factor.
    expect(ropeFreqs?.values?.[0]).toBe(1);
    expect(
      llama3RopeFactors({
        headDim: 128,
        ropeTheta: 500000,
        factor: 8,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalContext: 8192,
      })[63],
    ).toBe(8);
  });

  it.each([
    [
      "a wrong shape",
      (w: Map<string, WeightInfo>) =>
        w.set("model.layers.0.mlp.up_proj.weight", { dtype: "BF16", shape: [96, 64] }),
      /up_proj.weight has shape \[96, 64\] but config.json implies \[128, 64\]/,
    ],
    [
      "a missing tensor",
      (w: Map<string, WeightInfo>) => w.delete("model.layers.0.self_attn.k_proj.weight"),
      /has no model.layers.0.self_attn.k_proj.weight/,
    ],
    [
      "an unknown tensor",
      (w: Map<string, WeightInfo>) =>
        w.set("model.layers.0.self_attn.q_proj.bias", { dtype: "BF16", shape: [64] }),
      /tensors a llama model does not: model.layers.0.self_attn.q_proj.bias/,
    ],
    [
      "an int8 tensor",
      (w: Map<string, WeightInfo>) => w.set("model.norm.weight", { dtype: "I8", shape: [64] }),
      /model.norm.weight is I8; only F32, F16 and BF16/,
    ],
    [
      "vocab_size disagreeing with the embedding",
      (w: Map<string, WeightInfo>) => w.set("model.embed_tokens.weight", { dtype: "BF16", shape: [9, 64] }),
      /has 9 rows but config.json says vocab_size 8/,
    ],
  ])("rejects %s", (_what, change, message) => {
    const weights = llamaWeights();
    change(weights);
    expect(() => planGgufTensors(config, weights, "auto")).toThrow(message);
  });
});

describe("buildHfVocabulary", () => {
  const tokenizer = {
    model: { type: "BPE", vocab: { a: 0, b: 1, ab: 2 }, merges: [["a", "b"]] },
    added_tokens: [
      { id: 3, content: "<|begin_of_text|>", special: true },
      { id: 4, content: "<|eot_id|>", special: false },
      { id: 5, content: "<tool_call>", special: false },
    ],
    pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Split" }, { type: "ByteLevel" }] },
    post_processor: {
      type: "Sequence",
      processors: [
        { type: "ByteLevel" },
        { type: "TemplateProcessing", single: [{ SpecialToken: { id: "<|begin_of_text|>", type_id: 0 } }] },
      ],
    },
  };
  const config = parseHfConfig(LLAMA);

  it("types, pads and resolves special tokens the way convert_hf_to_gguf.py does", () => {
    const vocabulary = buildHfVocabulary({
      tokenizer,
      tokenizerConfig: {
        bos_token: { content: "<|begin_of_text|>", __type: "AddedToken" },
        eos_token: "<|eot_id|>",
        chat_template: [
          { name: "tool_use", template: "T" },
          { name: "default", template: "D" },
        ],
      },
      config,
      chatTemplateFile: null,
      tokenCount: 8,
    });
    expect(vocabulary).toMatchObject({
      tokens: ["a", "b", "ab", "<|begin_of_text|>", "<|eot_id|>", "<tool_call>", "[PAD6]", "[PAD7]"],
      tokenTypes: [1, 1, 1, 3, 3, 4, 5, 5],
      merges: ["a b"],
      pre: "llama-bpe",
      bosId: 3,
      eosId: 4,
      eotId: 4,
      padId: null,
      addBos: true,
      chatTemplate: "D",
    });
    expect(GGUF_TOKEN_TYPE.unused).toBe(5);
  });

  it("falls back to config.json ids and to chat_template.jinja", () => {
    const vocabulary = buildHfVocabulary({
      tokenizer: { ...tokenizer, post_processor: null },
      tokenizerConfig: null,
      config: { ...config, bosTokenId: 3, eosTokenId: 4 },
      chatTemplateFile: "J",
      tokenCount: 6,
    });
    expect(vocabulary).toMatchObject({ bosId: 3, eosId: 4, addBos: false, chatTemplate: "J" });
  });

  it.each([
    [
      { ...tokenizer, model: { ...tokenizer.model, type: "Unigram" } },
      8,
      /model type "Unigram" is not supported/,
    ],
    [{ ...tokenizer, pre_tokenizer: { type: "Metaspace" }, decoder: null }, 8, /only byte-level BPE/],
    [tokenizer, 5, /token id 5 \("<tool_call>"\) is outside the embedding's 5 rows/],
    [{ ...tokenizer, model: { ...tokenizer.model, merges: [] } }, 8, /merges is missing or empty/],
  ])("rejects %#", (bad, tokenCount, message) => {
    expect(() =>
      buildHfVocabulary({
        tokenizer: bad,
        tokenizerConfig: null,
        config,
        chatTemplateFile: null,
        tokenCount,
      }),
    ).toThrow(message);
  });
});
