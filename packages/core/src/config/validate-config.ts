import type { z } from "zod";
import { ConfigError } from "./config-error.js";
import { formatConfigIssue, issuesFromZod, type ConfigIssue } from "./format-config-issues.js";

/**
 * Runs the schema and the cross-field checks over the same raw document and reports both together, so
 * a user fixes a file in one round instead of one error per run.
 */
export function validateConfig<Schema extends z.ZodType>(
  schema: Schema,
  document: unknown,
  file: string,
  crossCheck: (document: unknown) => ConfigIssue[],
): DeepReadonly<z.output<Schema>> {
  const result = schema.safeParse(document, { reportInput: true });
  const issues = [...(result.success ? [] : issuesFromZod(result.error.issues)), ...crossCheck(document)];
  if (!result.success || issues.length > 0) {
    throw new ConfigError(issues.map((issue) => formatConfigIssue(file, issue)));
  }
  return deepFreeze(result.data);
}

export type DeepReadonly<T> = T extends (infer Item)[]
  ? readonly DeepReadonly<Item>[]
  : T extends object
    ? { readonly [Key in keyof T]: DeepReadonly<T[Key]> }
    : T;

/** Freezes a plain-data tree in place, so a parsed config cannot drift after validation. */
export function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value as DeepReadonly<T>;
}
