import type { Fleet } from "../gateway-types.js";
import { formatModelState } from "./format-status.js";

/**
 * Pure: one line on how a load is going, from a fleet snapshot: "qwen3-tiny: loading 40% on alpha (3s)".
 * Nodes where the model is unloaded are left out; with none left, the gateway is still placing it.
 */
export function formatLoadProgress(fleet: Fleet | undefined, model: string, elapsedMs: number): string {
  const places = (fleet?.nodes ?? []).flatMap((node) =>
    node.models
      .filter((candidate) => candidate.id === model && candidate.state !== "unloaded")
      .map((candidate) => `${formatModelState(candidate)} on ${node.name}`),
  );
  const what = places.length > 0 ? places.join(", ") : "waiting for a place";
  return `${model}: ${what} (${Math.floor(elapsedMs / 1000)}s)`;
}
