export * from "./fake-neuron.js";
export * from "./spawn-fake-neuron.js";
