import { checkModelsConfig } from "./check-models-config.js";
import { modelsConfigSchema, type ModelsConfig } from "./models-config-schema.js";
import { parseTomlDocument } from "./parse-toml-document.js";
import { readConfigFile } from "./read-config-file.js";
import { validateConfig } from "./validate-config.js";

/**
 * Throws ConfigError with every problem found. `baseDir` is accepted for symmetry with the other files;
 * models.toml holds no paths today.
 */
export function parseModelsConfig(tomlText: string, fileLabel: string, _baseDir: string): ModelsConfig {
  const document = parseTomlDocument(tomlText, fileLabel);
  return validateConfig(modelsConfigSchema, document, fileLabel, checkModelsConfig);
}

export async function loadModelsConfig(path: string): Promise<ModelsConfig> {
  const { text, file, baseDir } = await readConfigFile(path);
  return parseModelsConfig(text, file, baseDir);
}

/** No placement profiles: every model the neurons report is served under its own id, on any node. */
export function defaultModelsConfig(): ModelsConfig {
  return parseModelsConfig("", "<defaults>", ".");
}
