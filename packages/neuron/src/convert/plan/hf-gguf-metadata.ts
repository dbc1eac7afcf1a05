import { gguf, type GgufKeyValue, type GgufValue } from "../../synth/gguf/gguf-types.js";
import type { HfModelConfig } from "../hf/hf-model-config.js";
import type { HfVocabulary } from "../hf/hf-vocabulary.js";
import type { TensorPlan } from "./gguf-tensor-plan.js";

/**
 * Pure: the GGUF key set of docs/node-llama-cpp.md §2.1, from config.json and the tokenizer files. Keys come in the same
 * order as the synthetic GGUF writer's, and expert_count / expert_used_count are written (0) for dense
 * models too: llama.cpp aborts the whole process when a MoE file lacks them.
 */
export function hfGgufMetadata(
  config: HfModelConfig,
  vocabulary: HfVocabulary,
  plan: TensorPlan,
  name: string,
): GgufKeyValue[] {
  const a = config.arch;
  const entries: GgufKeyValue[] = [];
  const kv = (key: string, value: GgufValue): void => void entries.push({ key, value });
  kv("general.architecture", gguf.string(a));
  kv("general.name", gguf.string(name));
  kv("general.file_type", gguf.u32(plan.fileType));
  if (plan.tensors.some((tensor) => tensor.type === "q8_0")) kv("general.quantization_version", gguf.u32(2));
  kv(`${a}.context_length`, gguf.u32(config.contextLength));
  kv(`${a}.embedding_length`, gguf.u32(config.hidden));
  kv(`${a}.block_count`, gguf.u32(config.layers));
  kv(`${a}.feed_forward_length`, gguf.u32(config.ffn));
  kv(`${a}.attention.head_count`, gguf.u32(config.heads));
  kv(`${a}.attention.head_count_kv`, gguf.u32(config.kvHeads));
  kv(`${a}.attention.layer_norm_rms_epsilon`, gguf.f32(config.rmsEps));
  kv(`${a}.rope.freq_base`, gguf.f32(config.ropeTheta));
  kv(`${a}.expert_count`, gguf.u32(config.experts));
  kv(`${a}.expert_used_count`, gguf.u32(config.expertsUsed));
  if (a === "llama") {
    kv("llama.rope.dimension_count", gguf.u32(config.headDim));
    kv("llama.vocab_size", gguf.u32(vocabulary.tokens.length));
  } else {
    kv(`${a}.attention.key_length`, gguf.u32(config.headDim));
    kv(`${a}.attention.value_length`, gguf.u32(config.headDim));
  }
  if (a === "qwen3moe") kv(`${a}.expert_feed_forward_length`, gguf.u32(config.expertFfn));
  const scaling = config.ropeScaling;
  if (scaling !== null && scaling.type !== "llama3") {
    kv(`${a}.rope.scaling.type`, gguf.string(scaling.type));
    kv(`${a}.rope.scaling.factor`, gguf.f32(scaling.factor));
    if (scaling.type === "yarn") {
      kv(`${a}.rope.scaling.original_context_length`, gguf.u32(scaling.originalContext));
    }
  }
  kv("tokenizer.ggml.model", gguf.string("gpt2"));
  kv("tokenizer.ggml.pre", gguf.string(vocabulary.pre));
  kv("tokenizer.ggml.tokens", gguf.strings(vocabulary.tokens));
  kv("tokenizer.ggml.token_type", gguf.i32s(vocabulary.tokenTypes));
  kv("tokenizer.ggml.merges", gguf.strings(vocabulary.merges));
  if (vocabulary.bosId !== null) kv("tokenizer.ggml.bos_token_id", gguf.u32(vocabulary.bosId));
  if (vocabulary.eosId !== null) kv("tokenizer.ggml.eos_token_id", gguf.u32(vocabulary.eosId));
  if (vocabulary.padId !== null) kv("tokenizer.ggml.padding_token_id", gguf.u32(vocabulary.padId));
  if (vocabulary.eotId !== null) kv("tokenizer.ggml.eot_token_id", gguf.u32(vocabulary.eotId));
  kv("tokenizer.ggml.add_bos_token", gguf.bool(vocabulary.addBos));
  if (vocabulary.addEos) kv("tokenizer.ggml.add_eos_token", gguf.bool(true));
  if (vocabulary.chatTemplate !== null) kv("tokenizer.chat_template", gguf.string(vocabulary.chatTemplate));
  return entries;
}
