export * from "./byte-size.js";
export * from "./config-error.js";
export * from "./cortex-config-schema.js";
export * from "./cortex-config.js";
export { deepFreeze, type DeepReadonly } from "./validate-config.js";
export * from "./did-you-mean.js";
export * from "./duration.js";
export {
  formatConfigIssue,
  formatTomlPath,
  type ConfigIssue,
  type TomlPath,
} from "./format-config-issues.js";
export * from "./listen-address.js";
export * from "./models-config-schema.js";
export * from "./models-config.js";
export * from "./neuron-config-schema.js";
export * from "./neuron-config.js";
export * from "./resolve-model-id.js";
