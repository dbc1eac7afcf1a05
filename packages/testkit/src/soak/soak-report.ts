import { percentile } from "../bench/stats.js";
import type { SoakOutcome, SoakResult } from "./soak-client.js";

export interface RssPoint {
  /** Bytes; undefined when the process was not running. */
  readonly gateway: number | undefined;
  /** Summed over the neurons running at the time. */
  readonly neurons: number | undefined;
}

export interface ScenarioWindow {
  readonly name: string;
  readonly rssStart: RssPoint;
  rssEnd: RssPoint;
}

export interface SoakRow {
  readonly scenario: string;
  readonly requests: number;
  readonly ok: number;
  readonly aborted: number;
  readonly errors: ReadonlyMap<string, number>;
  readonly hung: number;
  readonly unaccounted: number;
  readonly p50: number;
  readonly p99: number;
  readonly rssStart: RssPoint;
  readonly rssEnd: RssPoint;
}

/** How a non-ok ending is listed under "errors by code". */
export function errorLabel(outcome: SoakOutcome): string | undefined {
  switch (outcome.kind) {
    case "error":
      return `${outcome.status} ${outcome.code}`;
    case "stream_error":
      return `stream ${outcome.code}`;
    default:
      return undefined;
  }
}

export function summarizeScenario(
  scenario: string,
  results: readonly SoakResult[],
  rss: { start: RssPoint; end: RssPoint },
  extraUnaccounted = 0,
): SoakRow {
  const errors = new Map<string, number>();
  for (const { outcome } of results) {
    const label = errorLabel(outcome);
    if (label !== undefined) errors.set(label, (errors.get(label) ?? 0) + 1);
  }
  const okMs = results.filter((result) => result.outcome.kind === "ok").map((result) => result.ms);
  const count = (kind: SoakOutcome["kind"]): number =>
    results.filter((result) => result.outcome.kind === kind).length;
  return {
    scenario,
    requests: results.length,
    ok: count("ok"),
    aborted: count("aborted"),
    errors,
    hung: count("hung"),
    unaccounted: count("bad") + extraUnaccounted,
    p50: percentile(okMs, 50),
    p99: percentile(okMs, 99),
    rssStart: rss.start,
    rssEnd: rss.end,
  };
}

const mib = (bytes: number | undefined): string =>
  bytes === undefined ? "–" : `${Math.round(bytes / 1024 / 1024)}`;
const ms = (value: number): string => (Number.isFinite(value) ? `${Math.round(value)}` : "–");

export function formatRows(rows: readonly SoakRow[]): string {
  return alignedTable(
    [
      "scenario",
      "requests",
      "ok",
      "client aborts",
      "errors by code",
      "hung",
      "unaccounted",
      "p50 ms",
      "p99 ms",
      "gateway RSS MiB start → end",
      "neurons RSS MiB start → end",
    ],
    rows.map((row) => [
      row.scenario,
      String(row.requests),
      String(row.ok),
      String(row.aborted),
      [...row.errors]
        .sort((a, b) => b[1] - a[1])
        .map(([label, n]) => `${label} ×${n}`)
        .join(", ") || "none",
      String(row.hung),
      String(row.unaccounted),
      ms(row.p50),
      ms(row.p99),
      `${mib(row.rssStart.gateway)} → ${mib(row.rssEnd.gateway)}`,
      `${mib(row.rssStart.neurons)} → ${mib(row.rssEnd.neurons)}`,
    ]),
  );
}

/**
 * A markdown table padded the way Prettier pads one, so the generated docs/reliability.md passes
 * `prettier --check` as written. Cells must not hold `|` or wide characters.
 */
export function alignedTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(3, header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  return [line(headers), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}
