export * from "./neuron-api.js";
