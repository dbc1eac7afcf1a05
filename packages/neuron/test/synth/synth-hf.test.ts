import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { readGgufFileInfo, type GgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBfloat16Bits } from "../../src/synth/encode/half-float.js";
import { synthModel, type SynthArch } from "../../src/synth/index.js";
import { makeTempDir } from "./synth-test-runtime.js";

interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function parseSafetensors(file: Buffer): { entries: Record<string, SafetensorsEntry>; dataStart: number } {
  const length = Number(file.readBigUInt64LE(0));
  const { __metadata__: _metadata, ...entries } = JSON.parse(
    file.subarray(8, 8 + length).toString("utf8"),
  ) as Record<string, SafetensorsEntry>;
  return { entries, dataStart: 8 + length };
}

/** convert_hf_to_gguf.py's LlamaModel.permute on whole rows: GGUF row (head, i, j) = HF row (head, j, i). */
function permuteRows(hf: Uint8Array, heads: number, rowBytes: number): Buffer {
  const source = Buffer.from(hf.buffer, hf.byteOffset, hf.byteLength);
  const rows = hf.length / rowBytes;
  const headDim = rows / heads;
  const out = Buffer.alloc(hf.length);
  for (let head = 0; head < heads; head++) {
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < headDim / 2; i++) {
        const from = head * headDim + j * (headDim / 2) + i;
        const to = head * headDim + 2 * i + j;
        source.copy(out, to * rowBytes, from * rowBytes, (from + 1) * rowBytes);
      }
    }
  }
  return out;
}

const GGUF_NAME: Record<string, string> = {
  "model.embed_tokens.weight": "token_embd.weight",
  "model.norm.weight": "output_norm.weight",
  "lm_head.weight": "output.weight",
  input_layernorm: "attn_norm",
  "self_attn.q_proj": "attn_q",
  "self_attn.k_proj": "attn_k",
  "self_attn.v_proj": "attn_v",
  "self_attn.o_proj": "attn_output",
  "self_attn.q_norm": "attn_q_norm",
  "self_attn.k_norm": "attn_k_norm",
  post_attention_layernorm: "ffn_norm",
  "mlp.gate_proj": "ffn_gate",
  "mlp.up_proj": "ffn_up",
  "mlp.down_proj": "ffn_down",
  "mlp.gate": "ffn_gate_inp",
};

/** The GGUF bytes an HF tensor must convert to (experts are slices of the merged 3D tensor). */
function ggufBytesFor(name: string, gguf: Buffer, info: GgufFileInfo): Buffer {
  const expert = /^model\.layers\.(\d+)\.mlp\.experts\.(\d+)\.(gate|up|down)_proj\.weight$/.exec(name);
  const layer = /^model\.layers\.(\d+)\.(.+)\.weight$/.exec(name);
  const ggufName = expert
    ? `blk.${expert[1]}.ffn_${expert[3]}_exps.weight`
    : layer
      ? `blk.${layer[1]}.${GGUF_NAME[layer[2] ?? ""]}.weight`
      : GGUF_NAME[name];
  const tensor = info.fullTensorInfo?.find((t) => t.name === ggufName);
  if (tensor === undefined) throw new Error(`no GGUF tensor for ${name}`);
  const dims = tensor.dimensions.map(Number);
  const bytes = dims.reduce((a, b) => a * b, 4);
  const start = Number(tensor.fileOffset);
  if (!expert) return gguf.subarray(start, start + bytes);
  const sliceBytes = bytes / (dims[2] ?? 1);
  const index = Number(expert[2]);
  return gguf.subarray(start + index * sliceBytes, start + (index + 1) * sliceBytes);
}

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await makeTempDir()));
afterAll(async () => cleanup());

describe.each(["llama", "qwen3", "qwen3moe"] as SynthArch[])("%s as a Hugging Face folder", (arch) => {
  let folder: string;
  let gguf: Buffer;
  let info: GgufFileInfo;
  beforeAll(async () => {
    folder = (await synthModel({ arch, format: "hf", seed: 5, out: join(dir, `${arch}-hf`) })).path;
    const ggufPath = (await synthModel({ arch, seed: 5, out: join(dir, `${arch}.gguf`) })).path;
    gguf = await readFile(ggufPath);
    info = await readGgufFileInfo(ggufPath, { logWarnings: false });
  });

  it("has the config, weights and tokenizer files", async () => {
    expect((await readdir(folder)).sort()).toEqual([
      "config.json",
      "generation_config.json",
      "model.safetensors",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    const config = JSON.parse(await readFile(join(folder, "config.json"), "utf8")) as Record<string, unknown>;
    const meta = (info.metadata as unknown as Record<string, Record<string, unknown>>)[arch] ?? {};
    expect(config).toMatchObject({
      model_type: { llama: "llama", qwen3: "qwen3", qwen3moe: "qwen3_moe" }[arch],
      hidden_size: meta.embedding_length,
      num_hidden_layers: meta.block_count,
      intermediate_size: meta.feed_forward_length,
      max_position_embeddings: meta.context_length,
      tie_word_embeddings: false,
      torch_dtype: "float32",
    });
    if (arch === "qwen3moe") {
      expect(config).toMatchObject({ num_experts: 4, num_experts_per_tok: 2, moe_intermediate_size: 64 });
    }
  });

  it("stores exactly the GGUF weights, in HF names, shapes and q/k order", async () => {
    const config = JSON.parse(await readFile(join(folder, "config.json"), "utf8")) as {
      num_attention_heads: number;
      num_key_value_heads: number;
    };
    const file = await readFile(join(folder, "model.safetensors"));
    const { entries, dataStart } = parseSafetensors(file);
    const names = Object.keys(entries);
    expect(names).toContain("model.layers.0.self_attn.q_proj.weight");
    expect(names).toContain(
      arch === "qwen3moe"
        ? "model.layers.1.mlp.experts.3.down_proj.weight"
        : "model.layers.1.mlp.down_proj.weight",
    );
    let end = 0;
    for (const [name, entry] of Object.entries(entries)) {
      expect(entry.dtype).toBe("F32");
      expect(entry.data_offsets[0]).toBe(end);
      end = entry.data_offsets[1];
      expect(end - entry.data_offsets[0]).toBe(entry.shape.reduce((a, b) => a * b, 4));
      const stored = file.subarray(dataStart + entry.data_offsets[0], dataStart + end);
      const heads = /k_proj/.test(name) ? config.num_key_value_heads : config.num_attention_heads;
      const bytes =
        arch === "llama" && /[qk]_proj/.test(name)
          ? permuteRows(stored, heads, (entry.shape[1] ?? 0) * 4)
          : stored;
      expect(bytes.equals(ggufBytesFor(name, gguf, info)), name).toBe(true);
    }
    expect(file.length).toBe(dataStart + end);
  });

  it("has a tokenizer.json with the GGUF vocabulary, merges and special tokens", async () => {
    const tokenizer = JSON.parse(await readFile(join(folder, "tokenizer.json"), "utf8")) as {
      model: { type: string; vocab: Record<string, number>; merges: string[] };
      added_tokens: { id: number; content: string; special: boolean }[];
    };
    const ggml = (info.metadata.tokenizer as unknown as { ggml: { tokens: string[]; merges: string[] } })
      .ggml;
    expect(tokenizer.model.type).toBe("BPE");
    expect(tokenizer.model.merges).toEqual(ggml.merges);
    const vocab = Array<string>(ggml.tokens.length);
    for (const [text, id] of Object.entries(tokenizer.model.vocab)) vocab[id] = text;
    for (const { id, content } of tokenizer.added_tokens) vocab[id] = content;
    expect(vocab).toEqual(ggml.tokens);
    const config = JSON.parse(await readFile(join(folder, "tokenizer_config.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(config.chat_template).toBe(info.metadata.tokenizer.chat_template);
    expect(config.eos_token).toBe(arch === "llama" ? "<|eot_id|>" : "<|im_end|>");
    expect(config.add_bos_token).toBe(arch === "llama");
  });
});

describe("sharded bf16 folder", () => {
  it("splits the weights over N files with an index, in bfloat16", async () => {
    const { path, files } = await synthModel({
      arch: "qwen3moe",
      format: "hf",
      dtype: "bf16",
      shards: 3,
      out: join(dir, "moe-sharded"),
    });
    const ggufPath = (await synthModel({ arch: "qwen3moe", out: join(dir, "moe-ref.gguf") })).path;
    const gguf = await readFile(ggufPath);
    const info = await readGgufFileInfo(ggufPath, { logWarnings: false });
    const shardNames = [
      "model-00001-of-00003.safetensors",
      "model-00002-of-00003.safetensors",
      "model-00003-of-00003.safetensors",
    ];
    expect(files.map((f) => f.slice(path.length + 1)).filter((f) => f.endsWith(".safetensors"))).toEqual(
      shardNames,
    );
    const index = JSON.parse(await readFile(join(path, "model.safetensors.index.json"), "utf8")) as {
      metadata: { total_size: number };
      weight_map: Record<string, string>;
    };
    let total = 0;
    let tensors = 0;
    for (const shard of shardNames) {
      const file = await readFile(join(path, shard));
      const { entries, dataStart } = parseSafetensors(file);
      expect(Object.keys(entries).length).toBeGreaterThan(0);
      for (const [name, entry] of Object.entries(entries)) {
        expect(index.weight_map[name]).toBe(shard);
        expect(entry.dtype).toBe("BF16");
        total += entry.data_offsets[1] - entry.data_offsets[0];
        tensors++;
        if (name === "model.layers.0.mlp.experts.1.up_proj.weight") {
          const source = ggufBytesFor(name, gguf, info);
          const value = source.readFloatLE(4 * 7);
          expect(file.readUInt16LE(dataStart + entry.data_offsets[0] + 2 * 7)).toBe(toBfloat16Bits(value));
        }
      }
    }
    expect(tensors).toBe(Object.keys(index.weight_map).length);
    expect(index.metadata.total_size).toBe(total);
  });
});
