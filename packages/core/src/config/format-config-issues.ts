import type { z } from "zod";
import { didYouMean } from "./did-you-mean.js";

/** Keys and array indexes from the document root, e.g. `["neurons", 1, "endpoint"]`. */
export type TomlPath = readonly PropertyKey[];

export interface ConfigIssue {
  readonly path: TomlPath;
  readonly message: string;
}

/** What the table helper attaches to an unknown-key issue so the wording can live here. */
export interface UnknownKeyParams {
  readonly unknownKey: true;
  readonly allowed: readonly string[];
}

export const MISSING_KEY_MESSAGE = "required key is missing";

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** `neurons[1].endpoint`, `models."org/model".context_size`: the path as a TOML user would write it. */
export function formatTomlPath(path: TomlPath): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") {
      text += `[${segment}]`;
      continue;
    }
    const key = String(segment);
    text += (text === "" ? "" : ".") + (BARE_KEY.test(key) ? key : JSON.stringify(key));
  }
  return text;
}

/** A value as TOML would show it: scalars verbatim, containers by kind. */
export function describeTomlValue(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "nan";
    if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
    return String(value);
  }
  if (typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value instanceof Date) return "a datetime";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) return "a table";
  return String(value);
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  array: "an array",
  object: "a table",
  record: "a table",
  date: "a datetime",
};

function isUnknownKey(params: unknown): params is UnknownKeyParams {
  return typeof params === "object" && params !== null && (params as UnknownKeyParams).unknownKey === true;
}

function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  const suggestion = didYouMean(key, allowed);
  if (suggestion !== undefined) return `unknown key (did you mean ${JSON.stringify(suggestion)}?)`;
  return `unknown key (expected one of: ${allowed.join(", ")})`;
}

function describeLimit(issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall): string {
  const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
  if (issue.origin === "array" || issue.origin === "string") {
    if (issue.code === "too_small" && Number(bound) === 1) return "must not be empty";
    const unit = issue.origin === "array" ? "items" : "characters";
    return `must have ${issue.code === "too_small" ? "at least" : "at most"} ${bound} ${unit}`;
  }
  const operator = issue.code === "too_small" ? ">" : "<";
  return `must be ${operator}${issue.inclusive ? "=" : ""} ${bound} (got ${describeTomlValue(issue.input)})`;
}

function messageOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      // TOML has no null, so an undefined input can only be a key that is not there.
      if (issue.input === undefined) return MISSING_KEY_MESSAGE;
      return `expected ${EXPECTED[issue.expected] ?? issue.expected} (got ${describeTomlValue(issue.input)})`;
    case "invalid_value":
      return issue.values.length === 1
        ? `must be ${describeTomlValue(issue.values[0])} (got ${describeTomlValue(issue.input)})`
        : `must be one of ${issue.values.map(String).join(", ")} (got ${describeTomlValue(issue.input)})`;
    case "too_big":
    case "too_small":
      return describeLimit(issue);
    case "custom":
      if (isUnknownKey(issue.params)) {
        return unknownKeyMessage(String(issue.path.at(-1)), issue.params.allowed);
      }
      return issue.message;
    default:
      return issue.message;
  }
}

/** The one place where zod's issues become our wording. */
export function issuesFromZod(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  return issues.map((issue) => ({ path: issue.path, message: messageOf(issue) }));
}

/** `<file>: <toml path>: <problem>`, or `<file>: <problem>` for the document as a whole. */
export function formatConfigIssue(file: string, issue: ConfigIssue): string {
  const path = formatTomlPath(issue.path);
  return path === "" ? `${file}: ${issue.message}` : `${file}: ${path}: ${issue.message}`;
}
