import { hostname } from "node:os";
import { neuronConfigSchema, type NeuronConfig } from "./neuron-config-schema.js";
import { parseTomlDocument } from "./parse-toml-document.js";
import { readConfigFile } from "./read-config-file.js";
import { validateConfig } from "./validate-config.js";

/** Values given outside the file (command-line flags); defaults derived from them follow them. */
export interface NeuronConfigOverrides {
  /** Absolute. */
  modelsDir?: string;
}

/** Throws ConfigError with every problem found. `fileLabel` prefixes each issue line. */
export function parseNeuronConfig(
  tomlText: string,
  fileLabel: string,
  baseDir: string,
  overrides: NeuronConfigOverrides = {},
): NeuronConfig {
  const document = parseTomlDocument(tomlText, fileLabel);
  // Before validation, so cache_dir and kv_cache.dir default under the models dir actually used.
  if (overrides.modelsDir !== undefined) document["models_dir"] = overrides.modelsDir;
  const schema = neuronConfigSchema({ baseDir, hostname: hostname() });
  return validateConfig(schema, document, fileLabel, () => []);
}

export async function loadNeuronConfig(
  path: string,
  overrides: NeuronConfigOverrides = {},
): Promise<NeuronConfig> {
  const { text, file, baseDir } = await readConfigFile(path);
  return parseNeuronConfig(text, file, baseDir, overrides);
}

/** The configuration of a neuron started without a file; `baseDir` is usually the working directory. */
export function defaultNeuronConfig(baseDir: string, overrides: NeuronConfigOverrides = {}): NeuronConfig {
  return parseNeuronConfig("", "<defaults>", baseDir, overrides);
}
