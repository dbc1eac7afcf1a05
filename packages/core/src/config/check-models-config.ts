import { describeTomlValue, formatTomlPath, type ConfigIssue } from "./format-config-issues.js";
import { asTable, duplicateIssues, stringsIn, tablesIn, type KeyedEntry } from "./raw-toml.js";

/** Cross-field rules of models.toml: ids and aliases must resolve to exactly one profile. */
export function checkModelsConfig(document: unknown): ConfigIssue[] {
  const models = tablesIn(asTable(document)?.["models"]);
  const ids = models.flatMap(({ index, table }): KeyedEntry[] =>
    typeof table["id"] === "string" ? [{ key: table["id"], path: ["models", index, "id"] }] : [],
  );
  const idPaths = new Map(ids.map((entry) => [entry.key, entry.path] as const).reverse());
  const aliases = models.flatMap(({ index, table }) =>
    stringsIn(table["aliases"]).map(({ index: at, value }): KeyedEntry => ({
      key: value,
      path: ["models", index, "aliases", at],
    })),
  );

  const issues = duplicateIssues(
    ids,
    (entry, first) => `duplicate id ${describeTomlValue(entry.key)} (also ${formatTomlPath(first.path)})`,
  );
  const aliasesNotIds = aliases.filter((alias) => {
    const idPath = idPaths.get(alias.key);
    if (idPath === undefined) return true;
    issues.push({
      path: alias.path,
      message: `alias ${describeTomlValue(alias.key)} is already a model id (${formatTomlPath(idPath)})`,
    });
    return false;
  });
  issues.push(
    ...duplicateIssues(
      aliasesNotIds,
      (entry, first) =>
        `alias ${describeTomlValue(entry.key)} is already used by ${formatTomlPath(first.path)}`,
    ),
  );

  for (const { index, table } of models) {
    if (!Array.isArray(table["allowed_nodes"])) continue;
    const allowed = new Set(stringsIn(table["allowed_nodes"]).map(({ value }) => value));
    for (const { index: at, value } of stringsIn(table["preferred_nodes"])) {
      if (!allowed.has(value)) {
        issues.push({
          path: ["models", index, "preferred_nodes", at],
          message: `${describeTomlValue(value)} is not in allowed_nodes`,
        });
      }
    }
  }
  return issues;
}
