export * from "./neuron-api.js";
export * from "./prefix-fingerprints.js";
