import { normalizeHttpUrl } from "./config-values.js";
import { describeTomlValue, formatTomlPath, type ConfigIssue } from "./format-config-issues.js";
import { asTable, duplicateIssues, tablesIn, type KeyedEntry } from "./raw-toml.js";

/** Cross-field rules of cortex.toml. Secrets are never echoed back. */
export function checkCortexConfig(document: unknown): ConfigIssue[] {
  const root = asTable(document);
  const neurons = tablesIn(root?.["neurons"]);
  const gateway = asTable(root?.["gateway"]);
  const apiKeys = keysIn(gateway?.["api_keys"]);

  const names = neurons.flatMap(({ index, table }): KeyedEntry[] => {
    const name = table["name"];
    return typeof name === "string" ? [{ key: name, path: ["neurons", index, "name"] }] : [];
  });
  const endpoints = neurons.flatMap(({ index, table }): KeyedEntry[] => {
    const endpoint = typeof table["endpoint"] === "string" ? normalizeHttpUrl(table["endpoint"]) : undefined;
    return endpoint === undefined ? [] : [{ key: endpoint, path: ["neurons", index, "endpoint"] }];
  });
  const keys = apiKeys.map(({ path, value }): KeyedEntry => ({ key: value, path }));

  const issues = [
    ...duplicateIssues(
      names,
      (entry, first) => `duplicate name ${describeTomlValue(entry.key)} (also ${formatTomlPath(first.path)})`,
    ),
    ...duplicateIssues(
      endpoints,
      (entry, first) =>
        `duplicate endpoint ${describeTomlValue(entry.key)} (also ${formatTomlPath(first.path)})`,
    ),
    ...duplicateIssues(keys, (_entry, first) => `duplicate key (same as ${formatTomlPath(first.path)})`).map(
      (issue) => ({ ...issue, path: ["gateway", ...issue.path] }),
    ),
  ];
  const adminKey = gateway?.["admin_key"];
  if (typeof adminKey === "string" && apiKeys.some(({ value }) => value === adminKey)) {
    issues.push({
      path: ["gateway", "admin_key"],
      message: "must differ from every api_keys entry (an api key would otherwise grant admin)",
    });
  }
  return issues;
}

/** The keys of `api_keys`, bare or in a table (`{ key = ... }`), with where each one is. */
function keysIn(value: unknown): { path: (string | number)[]; value: string }[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown, index) => {
    if (typeof item === "string") return [{ path: ["api_keys", index], value: item }];
    const key = asTable(item)?.["key"];
    return typeof key === "string" ? [{ path: ["api_keys", index, "key"], value: key }] : [];
  });
}
