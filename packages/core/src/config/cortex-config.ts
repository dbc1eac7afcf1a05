import { checkCortexConfig } from "./check-cortex-config.js";
import { cortexConfigSchema, type CortexConfig } from "./cortex-config-schema.js";
import { parseTomlDocument } from "./parse-toml-document.js";
import { readConfigFile } from "./read-config-file.js";
import { validateConfig } from "./validate-config.js";

/** Throws ConfigError with every problem found. `fileLabel` prefixes each issue line. */
export function parseCortexConfig(tomlText: string, fileLabel: string, baseDir: string): CortexConfig {
  const document = parseTomlDocument(tomlText, fileLabel);
  return validateConfig(cortexConfigSchema(baseDir), document, fileLabel, checkCortexConfig);
}

export async function loadCortexConfig(path: string): Promise<CortexConfig> {
  const { text, file, baseDir } = await readConfigFile(path);
  return parseCortexConfig(text, file, baseDir);
}

/** The configuration of a gateway started without a file: no neurons, every default. */
export function defaultCortexConfig(): CortexConfig {
  // No default is a path, so the base directory is never used.
  return parseCortexConfig("", "<defaults>", ".");
}
