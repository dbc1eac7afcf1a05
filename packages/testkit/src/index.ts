export * from "./repo-root.js";
export * from "./spawn-neuron.js";
export * from "./collect-sse.js";
export * from "./fixture-models.js";
export * from "./fake-neuron/index.js";
export * from "./model-dir.js";
export * from "./read-metric.js";
