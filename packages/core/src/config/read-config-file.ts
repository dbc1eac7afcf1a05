import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ConfigError } from "./config-error.js";

export interface ConfigFile {
  readonly text: string;
  /** The path as the caller gave it, used to label issues. */
  readonly file: string;
  /** Relative paths inside the file are resolved against this. */
  readonly baseDir: string;
}

export async function readConfigFile(path: string): Promise<ConfigFile> {
  try {
    // Editors on Windows like to save a BOM, which is not TOML.
    const text = (await readFile(path, "utf8")).replace(/^\uFEFF/, "");
    return { text, file: path, baseDir: dirname(resolve(path)) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new ConfigError([`${path}: file not found`]);
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([`${path}: cannot read file (${reason})`]);
  }
}
