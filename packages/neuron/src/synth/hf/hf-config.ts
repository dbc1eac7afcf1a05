import type { ModelShape } from "../model/model-shape.js";
import type { SynthVocabulary } from "../tokenizer/synth-vocabulary.js";
import type { SafetensorsDtype } from "./write-safetensors.js";

const TORCH_DTYPES: Readonly<Record<SafetensorsDtype, string>> = {
  f32: "float32",
  f16: "float16",
  bf16: "bfloat16",
};

/** config.json as transformers writes it for LlamaForCausalLM / Qwen3ForCausalLM / Qwen3MoeForCausalLM. */
export function hfConfig(shape: ModelShape, vocabulary: SynthVocabulary, dtype: SafetensorsDtype): object {
  const common = {
    hidden_size: shape.hidden,
    intermediate_size: shape.ffn,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    num_key_value_heads: shape.kvHeads,
    head_dim: shape.headDim,
    hidden_act: "silu",
    rms_norm_eps: shape.rmsEps,
    rope_theta: shape.ropeBase,
    rope_scaling: null,
    max_position_embeddings: shape.contextLength,
    vocab_size: vocabulary.tokens.length,
    tie_word_embeddings: false,
    attention_bias: false,
    attention_dropout: 0,
    initializer_range: 0.02,
    use_cache: true,
    bos_token_id: vocabulary.bosId,
    eos_token_id: vocabulary.eosId,
    torch_dtype: TORCH_DTYPES[dtype],
    transformers_version: "4.51.0",
  };
  switch (shape.arch) {
    case "llama":
      return {
        architectures: ["LlamaForCausalLM"],
        model_type: "llama",
        ...common,
        mlp_bias: false,
        pretraining_tp: 1,
      };
    case "qwen3":
      return {
        architectures: ["Qwen3ForCausalLM"],
        model_type: "qwen3",
        ...common,
        sliding_window: null,
        use_sliding_window: false,
        max_window_layers: shape.layers,
      };
    case "qwen3moe":
      return {
        architectures: ["Qwen3MoeForCausalLM"],
        model_type: "qwen3_moe",
        ...common,
        num_experts: shape.experts,
        num_experts_per_tok: shape.expertsUsed,
        moe_intermediate_size: shape.expertFfn,
        // llama.cpp's qwen3moe graph always renormalizes the top-k router weights.
        norm_topk_prob: true,
        decoder_sparse_step: 1,
        mlp_only_layers: [],
        output_router_logits: false,
        router_aux_loss_coef: 0.001,
        sliding_window: null,
        use_sliding_window: false,
        max_window_layers: shape.layers,
      };
    default: {
      const never: never = shape.arch;
      throw new Error(`unknown arch ${String(never)}`);
    }
  }
}

export function hfGenerationConfig(vocabulary: SynthVocabulary): object {
  return { bos_token_id: vocabulary.bosId, eos_token_id: vocabulary.eosId, pad_token_id: vocabulary.padId };
}
