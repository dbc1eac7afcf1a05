import type { ReasoningEffort } from "../../canonical/chat-request.js";

const EFFORTS: ReadonlySet<string> = new Set<ReasoningEffort>([
  "none",
  "minimal",
  "low",
  "medium",
  "high",
  "xhigh",
  "max",
]);

/**
 * A client's effort string → a canonical effort. Effort is a string on the wire, not an enum: new levels
 * appear with new models, so an unknown one is ignored with a warning rather than refused.
 */
export function parseReasoningEffort(
  effort: string | null | undefined,
  param: string,
  warnings: string[],
): ReasoningEffort | undefined {
  if (effort === null || effort === undefined || effort === "") return undefined;
  if (EFFORTS.has(effort)) return effort as ReasoningEffort;
  warnings.push(`${param}: unknown effort ${JSON.stringify(effort)}; ignored`);
  return undefined;
}
