import type { Decision } from "../gateway-types.js";
import { renderTable, type Column } from "./render-table.js";

const COLUMNS: readonly Column[] = [
  { header: "TIME (UTC)" },
  { header: "KIND" },
  { header: "MODEL" },
  { header: "NODE" },
  { header: "MESSAGE" },
];

/** Pure: scheduling decisions oldest first, as the gateway lists them. */
export function formatDecisions(decisions: readonly Decision[], options: { color: boolean }): string {
  if (decisions.length === 0) return "no decisions yet\n";
  const rows = decisions.map((decision) => [
    formatTime(decision.at),
    // Evictions and swap thrash are what an operator scanning the list should see first.
    decision.kind === "evict" || decision.kind === "thrash"
      ? { text: decision.kind, tone: "warn" as const }
      : decision.kind,
    decision.model,
    decision.node ?? "-",
    decision.message,
  ]);
  return `${renderTable(COLUMNS, rows, options).join("\n")}\n`;
}

/** "2026-11-27 07:08:09": UTC, to the second, the same on every machine. */
export function formatTime(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19).replace("T", " ");
}
