/**
 * Everything wrong with one config file. Each issue is one printable line, `<file>: <toml path>: <problem>`,
 * so callers print `issues` and exit; nobody needs the stack.
 */
export class ConfigError extends Error {
  readonly issues: string[];

  constructor(issues: string[]) {
    super(issues.join("\n"));
    this.name = "ConfigError";
    this.issues = issues;
  }
}

export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError;
}
