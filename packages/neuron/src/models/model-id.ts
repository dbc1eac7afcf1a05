import { isAbsolute } from "node:path";
import { CortexError } from "@cortex/core";

/** Model ids are names, never paths: nothing a client sends may point outside models_dir. */
export function assertModelId(id: string): void {
  const problem =
    id === ""
      ? "is empty"
      : id.includes("/") || id.includes("\\") || isAbsolute(id)
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
