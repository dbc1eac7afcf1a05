import type { ConfigIssue, TomlPath } from "./format-config-issues.js";

/**
 * Defensive readers over the unvalidated document. Cross-field checks use them so they can run next to
 * the schema (and report alongside its issues) even when parts of the document are malformed.
 */

export type RawTable = Readonly<Record<string, unknown>>;

export function asTable(value: unknown): RawTable | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date)
    ? (value as RawTable)
    : undefined;
}

/** The tables of an array of tables, with their index; anything else is skipped. */
export function tablesIn(value: unknown): { index: number; table: RawTable }[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown, index) => {
    const table = asTable(item);
    return table === undefined ? [] : [{ index, table }];
  });
}

/** The strings of an array, with their index; anything else is skipped. */
export function stringsIn(value: unknown): { index: number; value: string }[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown, index) => (typeof item === "string" ? [{ index, value: item }] : []));
}

export interface KeyedEntry {
  readonly key: string;
  readonly path: TomlPath;
}

/** One issue per entry whose key an earlier entry already had; `message` gets the earlier path. */
export function duplicateIssues(
  entries: readonly KeyedEntry[],
  message: (entry: KeyedEntry, first: KeyedEntry) => string,
): ConfigIssue[] {
  const seen = new Map<string, KeyedEntry>();
  const issues: ConfigIssue[] = [];
  for (const entry of entries) {
    const first = seen.get(entry.key);
    if (first === undefined) seen.set(entry.key, entry);
    else issues.push({ path: entry.path, message: message(entry, first) });
  }
  return issues;
}
