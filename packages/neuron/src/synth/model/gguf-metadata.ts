import { gguf, type GgufKeyValue } from "../gguf/gguf-types.js";
import type { SynthVocabulary } from "../tokenizer/synth-vocabulary.js";
import type { ModelShape } from "./model-shape.js";

export type SynthQuant = "f32" | "f16" | "q8_0";

const FILE_TYPE: Readonly<Record<SynthQuant, number>> = { f32: 0, f16: 1, q8_0: 7 };

export function modelName(shape: ModelShape): string {
  return `${shape.size}-random-${shape.arch}`;
}

/**
 * The full key set of docs/node-llama-cpp.md §2.1. feed_forward_length, expert_count and expert_used_count are always
 * written (0 experts for dense models): llama.cpp aborts the whole process when a MoE file lacks them.
 */
export function ggufMetadata(
  shape: ModelShape,
  quant: SynthQuant,
  vocabulary: SynthVocabulary,
  chatTemplate: string,
): GgufKeyValue[] {
  const a = shape.arch;
  const kv = (key: string, value: ReturnType<typeof gguf.u32>): GgufKeyValue => ({ key, value });
  const entries: GgufKeyValue[] = [
    kv("general.architecture", gguf.string(a)),
    kv("general.name", gguf.string(modelName(shape))),
    kv("general.file_type", gguf.u32(FILE_TYPE[quant])),
  ];
  if (quant === "q8_0") entries.push(kv("general.quantization_version", gguf.u32(2)));
  entries.push(
    kv(`${a}.context_length`, gguf.u32(shape.contextLength)),
    kv(`${a}.embedding_length`, gguf.u32(shape.hidden)),
    kv(`${a}.block_count`, gguf.u32(shape.layers)),
    kv(`${a}.feed_forward_length`, gguf.u32(shape.ffn)),
    kv(`${a}.attention.head_count`, gguf.u32(shape.heads)),
    kv(`${a}.attention.head_count_kv`, gguf.u32(shape.kvHeads)),
    kv(`${a}.attention.layer_norm_rms_epsilon`, gguf.f32(shape.rmsEps)),
    kv(`${a}.rope.freq_base`, gguf.f32(shape.ropeBase)),
    kv(`${a}.expert_count`, gguf.u32(shape.experts)),
    kv(`${a}.expert_used_count`, gguf.u32(shape.expertsUsed)),
  );
  if (a === "llama") {
    entries.push(
      kv("llama.rope.dimension_count", gguf.u32(shape.headDim)),
      kv("llama.vocab_size", gguf.u32(vocabulary.tokens.length)),
    );
  } else {
    entries.push(
      kv(`${a}.attention.key_length`, gguf.u32(shape.headDim)),
      kv(`${a}.attention.value_length`, gguf.u32(shape.headDim)),
    );
  }
  if (a === "qwen3moe") entries.push(kv(`${a}.expert_feed_forward_length`, gguf.u32(shape.expertFfn)));
  entries.push(
    kv("tokenizer.ggml.model", gguf.string("gpt2")),
    kv("tokenizer.ggml.pre", gguf.string(vocabulary.pre)),
    kv("tokenizer.ggml.tokens", gguf.strings(vocabulary.tokens)),
    kv("tokenizer.ggml.token_type", gguf.i32s(vocabulary.tokenTypes)),
    kv("tokenizer.ggml.merges", gguf.strings(vocabulary.merges)),
    kv("tokenizer.ggml.bos_token_id", gguf.u32(vocabulary.bosId)),
    kv("tokenizer.ggml.eos_token_id", gguf.u32(vocabulary.eosId)),
    kv("tokenizer.ggml.padding_token_id", gguf.u32(vocabulary.padId)),
  );
  if (vocabulary.eotId !== null) entries.push(kv("tokenizer.ggml.eot_token_id", gguf.u32(vocabulary.eotId)));
  entries.push(
    kv("tokenizer.ggml.add_bos_token", gguf.bool(vocabulary.addBos)),
    kv("tokenizer.chat_template", gguf.string(chatTemplate)),
  );
  return entries;
}
