import { normalizeHttpUrl } from "./config-values.js";
import { describeTomlValue, formatTomlPath, type ConfigIssue } from "./format-config-issues.js";
import { asTable, duplicateIssues, stringsIn, tablesIn, type KeyedEntry } from "./raw-toml.js";

/** Cross-field rules of cortex.toml. Secrets are never echoed back. */
export function checkCortexConfig(document: unknown): ConfigIssue[] {
  const root = asTable(document);
  const neurons = tablesIn(root?.["neurons"]);
  const gateway = asTable(root?.["gateway"]);
  const apiKeys = stringsIn(gateway?.["api_keys"]);

  const names = neurons.flatMap(({ index, table }): KeyedEntry[] => {
    const name = table["name"];
    return typeof name === "string" ? [{ key: name, path: ["neurons", index, "name"] }] : [];
  });
  const endpoints = neurons.flatMap(({ index, table }): KeyedEntry[] => {
    const endpoint = typeof table["endpoint"] === "string" ? normalizeHttpUrl(table["endpoint"]) : undefined;
    return endpoint === undefined ? [] : [{ key: endpoint, path: ["neurons", index, "endpoint"] }];
  });
  const keys = apiKeys.map(({ index, value }): KeyedEntry => ({ key: value, path: ["api_keys", index] }));

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
