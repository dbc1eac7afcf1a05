import { CortexError } from "@cortex/core";
import type { z } from "zod";

/**
 * Validates a neuron's 2xx body against the protocol schema. Both ends are ours, so a mismatch means the
 * two are different versions: say which field, on which node and route, so the operator can tell.
 */
export function parseNeuronResponse<T extends z.ZodType>(
  node: string,
  route: string,
  schema: T,
  text: string,
): z.output<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CortexError("upstream_error", `neuron ${node} answered ${route} with invalid JSON`, {
      cause: error,
    });
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue === undefined ? "body" : formatPath(issue.path);
  throw new CortexError(
    "upstream_error",
    `neuron ${node} answered ${route} with an unexpected shape: ${field}: ${issue?.message ?? "invalid"} ` +
      "(are the gateway and neuron the same version?)",
    { cause: parsed.error },
  );
}

/** `["models", 0, "state"]` → `models[0].state`. */
function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text === "" ? "body" : text;
}
