export * from "./fake-knobs.js";
export * from "./fake-neuron-control.js";
export * from "./fake-neuron-options.js";
export * from "./spawn-fake-neuron.js";
export * from "./start-fake-neuron.js";
