export { runCortex } from "./cortex-main.js";
export { runNeuron } from "./neuron-main.js";
