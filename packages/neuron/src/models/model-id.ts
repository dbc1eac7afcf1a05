import { isAbsolute } from "node:path";
import { CortexError } from "@cortex/core";

/**
 * Model ids are names, never paths: the registry looks them up, nothing joins them to a folder. Hub-cache
 * models have ids like `org/name:Q4_K_M`, so a `/` is allowed, but nothing that reads as a path out of a
 * folder (a leading `/` or `.`, a `.` or `..` segment, a backslash, a NUL byte).
 */
export function assertModelId(id: string): void {
  const problem =
    id === ""
      ? "is empty"
      : id.includes("\\") ||
          isAbsolute(id) ||
          id.split("/").some((segment) => segment === "." || segment === "..")
        ? "must be a model name, not a path"
        : id.startsWith(".")
          ? "must not start with '.'"
          : id.includes("\0")
            ? "contains a NUL byte"
            : null;
  if (problem) {
    throw new CortexError("invalid_request", `model ${JSON.stringify(id)} ${problem}`, { param: "model" });
  }
}

/** A file-name-safe form of a model id (`org/name` → `org@name`), for files named after a model. */
export function modelFileStem(id: string): string {
  return id.replace(/[/:]/g, "@");
}
