import { hostname } from "node:os";
import { neuronConfigSchema, type NeuronConfig } from "./neuron-config-schema.js";
import { parseTomlDocument } from "./parse-toml-document.js";
import { readConfigFile } from "./read-config-file.js";
import { validateConfig } from "./validate-config.js";

/** Throws ConfigError with every problem found. `fileLabel` prefixes each issue line. */
export function parseNeuronConfig(tomlText: string, fileLabel: string, baseDir: string): NeuronConfig {
  const document = parseTomlDocument(tomlText, fileLabel);
  const schema = neuronConfigSchema({ baseDir, hostname: hostname() });
  return validateConfig(schema, document, fileLabel, () => []);
}

export async function loadNeuronConfig(path: string): Promise<NeuronConfig> {
  const { text, file, baseDir } = await readConfigFile(path);
  return parseNeuronConfig(text, file, baseDir);
}

/** The configuration of a neuron started without a file; `baseDir` is usually the working directory. */
export function defaultNeuronConfig(baseDir: string): NeuronConfig {
  return parseNeuronConfig("", "<defaults>", baseDir);
}
