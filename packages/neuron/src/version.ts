export const NEURON_VERSION = "0.1.0";
