import { basename, dirname, join } from "node:path";

/** One entry in models_dir as the scanner saw it. */
export interface DirEntry {
  name: string;
  isDirectory: boolean;
}

export type ModelCandidate =
  | { kind: "gguf"; id: string; files: string[] }
  | { kind: "hf"; id: string; dir: string }
  | { kind: "unsupported"; path: string; reason: string };

/**
 * A writer's temporary name (`<out>.tmp-<pid>-<hex>`, `.partial-<pid>-<hex>`): left behind when the writer
 * crashed, never a model (a crashed `synth-model --format hf` left a folder with a config.json in it).
 */
const WRITER_TEMPORARY = /\.(tmp|partial)-\d+-[0-9a-f]+$/;

const SPLIT = /^(?<base>.+)-(?<part>\d{5})-of-(?<count>\d{5})\.gguf$/i;

/** `name-00002-of-00003.gguf` → {base: "name", part: 2, count: 3}; null for any other name. */
export function splitGgufPart(name: string): { base: string; part: number; count: number } | null {
  const groups = SPLIT.exec(name)?.groups;
  if (!groups) return null;
  return { base: groups.base ?? name, part: Number(groups.part), count: Number(groups.count) };
}

/** The files of the split set `path` (any part) belongs to, in part order; `[path]` when it is not split. */
export function splitGgufPartPaths(path: string, parts: number): string[] {
  const split = splitGgufPart(basename(path));
  if (!split || parts <= 1) return [path];
  const count = String(split.count).padStart(5, "0");
  return Array.from({ length: split.count }, (_, index) =>
    join(dirname(path), `${split.base}-${String(index + 1).padStart(5, "0")}-of-${count}.gguf`),
  );
}

/**
 * Pure: names in models_dir → model candidates. Split GGUF sets (`name-00001-of-00003.gguf`) are one
 * model whose id drops the split suffix; an incomplete set is reported, not half-served.
 */
export function groupModelFiles(
  entries: readonly DirEntry[],
  hasConfigJson: (dir: string) => boolean,
): ModelCandidate[] {
  const candidates: ModelCandidate[] = [];
  const splits = new Map<string, { count: number; parts: Map<number, string> }>();
  for (const entry of [...entries].sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith(".") || WRITER_TEMPORARY.test(entry.name)) continue;
    if (entry.isDirectory) {
      if (hasConfigJson(entry.name)) candidates.push({ kind: "hf", id: entry.name, dir: entry.name });
      continue;
    }
    if (!entry.name.toLowerCase().endsWith(".gguf")) continue;
    const split = splitGgufPart(entry.name);
    if (!split) {
      candidates.push({ kind: "gguf", id: entry.name.slice(0, -".gguf".length), files: [entry.name] });
      continue;
    }
    const set = splits.get(split.base) ?? { count: split.count, parts: new Map<number, string>() };
    set.parts.set(split.part, entry.name);
    splits.set(split.base, set);
  }
  for (const [base, set] of splits) {
    const missing: number[] = [];
    for (let part = 1; part <= set.count; part++) if (!set.parts.has(part)) missing.push(part);
    if (missing.length > 0) {
      candidates.push({
        kind: "unsupported",
        path: `${base}-*-of-${String(set.count).padStart(5, "0")}.gguf`,
        reason: `split GGUF set is incomplete: missing part(s) ${missing.join(", ")} of ${set.count}`,
      });
    } else {
      const files = [...set.parts.entries()].sort(([a], [b]) => a - b).map(([, name]) => name);
      candidates.push({ kind: "gguf", id: base, files });
    }
  }
  return candidates;
}
