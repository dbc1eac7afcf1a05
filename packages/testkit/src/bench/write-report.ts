import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** `2025-11-27T07-19-03Z`: sortable, and safe in file names. */
export function fileTimestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replaceAll(":", "-");
}

/** Writes `<dir>/<name>-<timestamp>.json` and `.md` next to it; returns both paths. */
export async function writeReport(
  dir: string,
  name: string,
  date: Date,
  json: unknown,
  markdown: string,
): Promise<{ json: string; markdown: string }> {
  await mkdir(dir, { recursive: true });
  const base = join(dir, `${name}-${fileTimestamp(date)}`);
  const paths = { json: `${base}.json`, markdown: `${base}.md` };
  await writeFile(paths.json, `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(paths.markdown, markdown.endsWith("\n") ? markdown : `${markdown}\n`);
  return paths;
}
