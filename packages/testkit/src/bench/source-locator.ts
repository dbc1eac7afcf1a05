import { existsSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

interface Mapped {
  map: SourceMap | undefined;
  lines: string[];
}

/**
 * Turns profile locations into `file:line` a reader can open: compiled workspace files go back to their
 * `src/*.ts` through the `.js.map` next to them; dependencies are shown from `node_modules/`.
 */
export class SourceLocator {
  readonly #root: string;
  readonly #cache = new Map<string, Mapped>();

  constructor(repoRoot: string) {
    this.#root = repoRoot;
  }

  /** `line` and `column` are 0-based as in V8 call frames; the result's line is 1-based. */
  locate(url: string, line: number, column: number): string {
    if (url === "") return "(native)";
    if (!url.startsWith("file://")) return `${url}:${line + 1}`;
    const file = fileURLToPath(url);
    const mapped = this.#load(file);
    const code = mapped.lines[line] ?? "";
    // Line lookups come with column 0: use the first code on the line, or the previous line's mapping wins.
    const at = column > 0 ? column : code.length - code.trimStart().length;
    const entry = mapped.map?.findEntry(line, at);
    if (entry && "originalSource" in entry && entry.originalSource) {
      const source = entry.originalSource.startsWith("file://")
        ? fileURLToPath(entry.originalSource)
        : resolve(dirname(file), entry.originalSource);
      return `${this.#show(source)}:${entry.originalLine + 1}`;
    }
    return `${this.#show(file)}:${line + 1}`;
  }

  /** Buckets time by who owns the code. */
  areaOf(url: string, functionName: string): string {
    if (url === "")
      return functionName === "" || functionName.startsWith("(")
        ? functionName || "(native)"
        : `(native) ${functionName}`;
    if (url.startsWith("node:")) {
      const name = url.slice("node:".length).replace(/^internal\//, "");
      return `node:${name.split("/")[0] ?? name}`;
    }
    const path = url.startsWith("file://") ? fileURLToPath(url) : url;
    const modules = path.lastIndexOf("/node_modules/");
    if (modules >= 0) {
      const parts = path.slice(modules + "/node_modules/".length).split("/");
      return `npm:${parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1] ?? ""}` : (parts[0] ?? "?")}`;
    }
    const workspace = /\/packages\/([^/]+)\//.exec(path);
    return workspace ? `cortex:${workspace[1] ?? "?"}` : this.#show(path);
  }

  #show(path: string): string {
    const modules = path.lastIndexOf("/node_modules/");
    if (modules >= 0) return path.slice(modules + 1);
    return path.startsWith(this.#root) ? relative(this.#root, path) : path;
  }

  #load(file: string): Mapped {
    let mapped = this.#cache.get(file);
    if (mapped) return mapped;
    mapped = { map: undefined, lines: [] };
    try {
      const isWorkspace = file.startsWith(this.#root) && !file.includes("/node_modules/");
      if (isWorkspace && existsSync(`${file}.map`)) {
        mapped.map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")) as never);
        mapped.lines = readFileSync(file, "utf8").split("\n");
      }
    } catch {
      // No usable map: the compiled location is shown.
    }
    this.#cache.set(file, mapped);
    return mapped;
  }
}
