export * from "./start-neuron.js";
export * from "./engine/engine.js";
export { discoverNode } from "./discovery/discover-node.js";
export { LlamaCppEngine } from "./engine/llama-cpp/llama-cpp-engine.js";
export { describeModelsDir, type ModelsDirReport } from "./describe-models-dir.js";
export { createNeuronMetrics, type NeuronMetrics } from "./metrics/neuron-metrics.js";
export { fairBatchStrategy } from "./engine/llama-cpp/fair-batch-strategy.js";
export type { NeuronRoute } from "./http/neuron-app.js";
