import { parse, TomlError } from "smol-toml";
import { ConfigError } from "./config-error.js";

/** The TOML document as plain data; a syntax error becomes one line with where it is. */
export function parseTomlDocument(text: string, file: string): Record<string, unknown> {
  try {
    return parse(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    // smol-toml appends a code excerpt after the first line; callers want one line.
    const reason = (error.message.split("\n")[0] ?? "").replace(/^Invalid TOML document:\s*/, "");
    throw new ConfigError([
      `${file}: line ${error.line}, column ${error.column}: TOML syntax error: ${reason}`,
    ]);
  }
}
