export const PACKAGE = "neuron";
