import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const FIXTURES = fileURLToPath(new URL("../__fixtures__/", import.meta.url));

/** One JSON value per line, as recorded from a stream. */
export function readJsonl(name: string): unknown[] {
  return readFileSync(FIXTURES + name, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as unknown);
}

export function readJson(name: string): unknown {
  return JSON.parse(readFileSync(FIXTURES + name, "utf8")) as unknown;
}

export function fixtureNames(folder: string): string[] {
  return readdirSync(FIXTURES + folder)
    .filter((name) => name.endsWith(".jsonl"))
    .sort();
}

/** Snapshot text that Prettier leaves alone and that diffs well: one JSON value per line. */
export function toJsonl(values: readonly unknown[]): string {
  return values.map((value) => JSON.stringify(value)).join("\n") + "\n";
}
