import type { NeuronInfo, NeuronModel } from "@cortex/core";

export const GiB = 1024 ** 3;

/** A model as a neuron reports it; by default offered but not loaded. */
export function neuronModel(id: string, overrides: Partial<NeuronModel> = {}): NeuronModel {
  return {
    id,
    source: "gguf",
    architecture: "llama",
    quantization: "q8_0",
    file_size: GiB,
    parameters: 1_000_000_000,
    train_context_length: 4096,
    context_length: 4096,
    memory_estimate: 2 * GiB,
    state: "unloaded",
    progress: null,
    last_used: null,
    in_flight: 0,
    queued: 0,
    error: null,
    ...overrides,
  };
}

export function neuronInfo(node: string, overrides: Partial<NeuronInfo> = {}): NeuronInfo {
  return {
    node,
    version: "0.1.0",
    backend: "cpu",
    gpus: [],
    ram_total: 16 * GiB,
    ram_free: 8 * GiB,
    cpu_threads: 8,
    threads: 4,
    parallel: 2,
    memory: { total: 8 * GiB, used: 0, free: 8 * GiB, headroom: 0, source: "budget" },
    supported: {
      gguf_architectures: ["llama", "qwen3", "qwen3moe"],
      hf_model_types: ["llama", "qwen3", "qwen3_moe"],
    },
    unsupported: [],
    ...overrides,
  };
}
