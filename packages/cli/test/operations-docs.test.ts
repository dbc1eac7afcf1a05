import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createGatewayMetrics } from "@cortex/gateway";
import { createNeuronMetrics } from "@cortex/neuron";
import { repoRoot } from "@cortex/testkit";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";

const root = repoRoot();
const operations = readFileSync(join(root, "docs/operations.md"), "utf8");

/** The keys documented in one "### file" section's table, expanding `a.b`, `.c` shorthand cells. */
function documentedKeys(section: string): Set<string> {
  const body = operations.split(`### ${section}`)[1]?.split("\n### ")[0]?.split("\n## ")[0] ?? "";
  const keys = new Set<string>();
  for (const line of body.split("\n")) {
    const cell = /^\|\s*(`[^|]+?`)\s*\|/.exec(line)?.[1];
    if (!cell) continue;
    let parent = "";
    for (const [, key] of cell.matchAll(/`([^`]+)`/g)) {
      if (!key) continue;
      const full = key.startsWith(".") ? `${parent}${key}` : key;
      parent = full.slice(0, full.lastIndexOf("."));
      keys.add(full);
    }
  }
  return keys;
}

/** Every key an example file shows, commented-out ones included, as `table.key` paths. */
function exampleKeys(file: string): Set<string> {
  const keys = new Set<string>();
  let table = "";
  for (const raw of readFileSync(join(root, file), "utf8").split("\n")) {
    const line = raw.replace(/^#\s?/, "").trim();
    const header = /^\[\[?([^\]]+)\]\]?/.exec(line);
    if (header?.[1] && raw.startsWith("[")) {
      table = header[1]
        .replace(/^models\."[^"]+"$/, "models.<id>")
        .replace(/^(neurons|models)$/, raw.startsWith("[[") ? "$1[]" : "$1")
        .replace(/^models\.sampling$/, "models[].sampling");
      continue;
    }
    const key = /^([a-z_]+)\s*=/.exec(line)?.[1];
    if (key) keys.add(table ? `${table}.${key}` : key);
  }
  return keys;
}

describe("docs/operations.md", () => {
  it.each([
    ["cortex.toml", "cortex.example.toml"],
    ["models.toml", "models.example.toml"],
    ["neuron.toml", "neuron.example.toml"],
  ])("documents every key %s shows in its example", (section, example) => {
    const documented = documentedKeys(section);
    for (const key of exampleKeys(example)) expect(documented, `${key} in ${section}`).toContain(key);
  });

  it("documents every metric the gateway and the neuron register", async () => {
    const registry = new Registry();
    createGatewayMetrics(registry, {
      reports: () => [],
      localInFlight: () => [],
      loadWaiters: () => 0,
      isCatalogued: () => false,
    });
    createNeuronMetrics(registry, {
      models: () => [],
      memory: () => ({ total: 0, used: 0, free: 0, headroom: 0, source: "ram" }),
    });
    const names = (await registry.getMetricsAsJSON()).map((metric) => metric.name);
    expect(names.length).toBeGreaterThan(25);
    for (const name of names) expect(operations, name).toMatch(new RegExp(`\\|\\s*\`${name}\`\\s*\\|`));
  });
});
