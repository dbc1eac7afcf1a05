import { spreadPercent, type Summary } from "./stats.js";

/** A GitHub markdown table; cells are already formatted. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Fixed decimals picked from the magnitude: 3 significant-ish digits, no exponent. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return "–";
  const abs = Math.abs(value);
  const decimals = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toFixed(decimals);
}

/** `median (min–max)`, or `median ±x%` when `compact`. */
export function formatSummary(summary: Summary, compact = false): string {
  if (summary.n === 0) return "–";
  if (summary.n === 1) return formatNumber(summary.median);
  if (compact) return `${formatNumber(summary.median)} ±${spreadPercent(summary).toFixed(0)}%`;
  return `${formatNumber(summary.median)} (${formatNumber(summary.min)}–${formatNumber(summary.max)})`;
}

export function formatPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)}%` : "–";
}

/** "met"/"MISSED" with the target, or "–" when the number is missing. */
export function formatVerdict(met: boolean | undefined, target: string): string {
  if (met === undefined) return `– (target ${target})`;
  return `${met ? "met" : "MISSED"} (target ${target})`;
}
