import {
  formatNumber,
  formatPercent,
  formatSummary,
  formatVerdict,
  markdownTable,
} from "./format-markdown.js";
import { formatHopProfiles } from "./format-hop-profiles.js";
import type { BackendKind } from "./gateway-backends.js";
import type { GatewayBenchResult, LoadRun, ProxyPath } from "./gateway-bench-types.js";
import { percentile, ratio, summarize, type Summary } from "./stats.js";

/** cortex throughput must reach this share of the minimal proxy's. */
export const CORTEX_THROUGHPUT_TARGET = 0.9;
/** cortex may add at most this much to the minimal proxy's median latency with one client. */
export const CORTEX_ADDED_P50_TARGET_MS = 0.5;

const PATHS: readonly ProxyPath[] = ["direct", "proxy", "cortex"];

export interface PathLevel {
  reqPerS: Summary;
  p50Ms: Summary;
  p99Ms: Summary;
  /** CPU of the proxy/cortex process per request, µs (empty for direct). */
  hopCpuUs: Summary;
  backendCpuUs: Summary;
  errors: number;
}

export interface GatewayLevel {
  backend: BackendKind;
  clients: number;
  paths: Record<ProxyPath, PathLevel>;
  /**
   * The key comparisons, each taken within a round (the runs were back to back) and then summarized
   * over rounds, which cancels slow drift on a shared machine; the medians are what targets judge.
   */
  paired: {
    /** cortex req/s ÷ proxy req/s. */
    cortexVsProxy: Summary;
    /** cortex p50 − proxy p50, ms. */
    addedP50Ms: Summary;
    /** cortex p50 − direct p50, ms. */
    addedP50VsDirectMs: Summary;
    /** cortex CPU µs per request ÷ the proxy's: less sensitive to load than req/s. */
    cortexCpuVsProxy: Summary;
  };
}

export interface TtftLevel {
  backend: BackendKind;
  path: ProxyPath;
  p50Ms: number;
  p99Ms: number;
  n: number;
  errors: number;
}

export interface GatewaySummary {
  levels: GatewayLevel[];
  ttft: TtftLevel[];
  targetsMet: boolean | undefined;
  missed: string[];
}

export function summarizeGatewayBench(result: GatewayBenchResult): GatewaySummary {
  const levels: GatewayLevel[] = [];
  for (const backend of result.backends) {
    for (const clients of result.options.clients) {
      const runsOf = (path: ProxyPath) =>
        result.runs.filter((run) => run.backend === backend && run.clients === clients && run.path === path);
      if (runsOf("cortex").length === 0) continue;
      const paths = Object.fromEntries(
        PATHS.map((path): [ProxyPath, PathLevel] => {
          const runs = runsOf(path);
          return [
            path,
            {
              reqPerS: summarize(runs.map((run) => run.reqPerS)),
              p50Ms: summarize(runs.map((run) => run.p50Ms)),
              p99Ms: summarize(runs.map((run) => run.p99Ms)),
              hopCpuUs: summarize(runs.map((run) => run.hopCpuUsPerRequest ?? Number.NaN)),
              backendCpuUs: summarize(runs.map((run) => run.backendCpuUsPerRequest ?? Number.NaN)),
              errors: runs.reduce((sum, run) => sum + run.errors, 0),
            },
          ];
        }),
      ) as Record<ProxyPath, PathLevel>;
      const rounds = [...new Set(runsOf("cortex").map((run) => run.round))];
      const pair = (compare: (cortex: LoadRun, other: Record<ProxyPath, LoadRun>) => number): Summary =>
        summarize(
          rounds.flatMap((round) => {
            const inRound = Object.fromEntries(
              PATHS.map((path) => [path, runsOf(path).find((run) => run.round === round)]),
            ) as Partial<Record<ProxyPath, LoadRun>>;
            const { direct, proxy, cortex } = inRound;
            return direct && proxy && cortex ? [compare(cortex, { direct, proxy, cortex })] : [];
          }),
        );
      levels.push({
        backend,
        clients,
        paths,
        paired: {
          cortexVsProxy: pair((cortex, other) => ratio(cortex.reqPerS, other.proxy.reqPerS)),
          addedP50Ms: pair((cortex, other) => cortex.p50Ms - other.proxy.p50Ms),
          addedP50VsDirectMs: pair((cortex, other) => cortex.p50Ms - other.direct.p50Ms),
          cortexCpuVsProxy: pair((cortex, other) =>
            ratio(cortex.hopCpuUsPerRequest ?? Number.NaN, other.proxy.hopCpuUsPerRequest ?? Number.NaN),
          ),
        },
      });
    }
  }
  const ttft = result.ttft.map((run): TtftLevel => ({
    backend: run.backend,
    path: run.path,
    p50Ms: percentile(run.ttftMs, 50),
    p99Ms: percentile(run.ttftMs, 99),
    n: run.ttftMs.length,
    errors: run.errors,
  }));
  const missed: string[] = [];
  const fewest = Math.min(...result.options.clients);
  for (const level of levels) {
    const where = `${level.backend} backend, ${level.clients} client${level.clients === 1 ? "" : "s"}`;
    const { cortexVsProxy, addedP50Ms } = level.paired;
    if (cortexVsProxy.median < CORTEX_THROUGHPUT_TARGET) {
      missed.push(`${where}: cortex at ${formatPercent(cortexVsProxy.median)} of the minimal proxy's req/s`);
    }
    if (level.clients === fewest && addedP50Ms.median > CORTEX_ADDED_P50_TARGET_MS) {
      missed.push(`${where}: cortex adds ${addedP50Ms.median.toFixed(2)} ms to the proxy's p50`);
    }
    const errors = PATHS.reduce((sum, path) => sum + level.paths[path].errors, 0);
    if (errors > 0) missed.push(`${where}: ${errors} failed requests`);
  }
  return { levels, ttft, targetsMet: levels.length === 0 ? undefined : missed.length === 0, missed };
}

export function formatGatewayReport(
  result: GatewayBenchResult,
  summary: GatewaySummary,
  header: string,
): string {
  const { options } = result;
  const out: string[] = [
    header,
    "",
    `Non-streaming chat requests (max_tokens ${options.maxTokens}), closed loop, ${options.durationMs / 1000} s per ` +
      `measurement after ${options.warmupMs / 1000} s warm-up, ${options.rounds} rounds per level with the path order ` +
      "rotating. Cells: median over rounds (min–max). direct = straight to the backend; proxy = the minimal " +
      "node:http + undici proxy; cortex = `cortex serve`. Each server runs in its own process; the load " +
      "generator runs in the bench process.",
  ];
  for (const backend of result.backends) {
    const levels = summary.levels.filter((level) => level.backend === backend);
    if (levels.length === 0) continue;
    out.push(
      "",
      `### ${backend === "fake" ? "fake neuron (answers at once)" : "real neuron (tiny model, 1 thread)"}`,
      "",
    );
    const rows = levels.flatMap((level) =>
      PATHS.map((path) => {
        const cell = level.paths[path];
        return [
          String(level.clients),
          path,
          formatSummary(cell.reqPerS),
          formatSummary(cell.p50Ms),
          formatSummary(cell.p99Ms),
          String(cell.errors),
          formatPercent(ratio(cell.reqPerS.median, level.paths.direct.reqPerS.median)),
          formatSummary(cell.hopCpuUs),
          formatSummary(cell.backendCpuUs),
        ];
      }),
    );
    const headers = ["clients", "path", "req/s", "p50 ms", "p99 ms", "errors", "req/s vs direct"];
    out.push(markdownTable([...headers, "hop CPU µs/req", "backend CPU µs/req"], rows));
  }
  out.push("", "### cortex vs the minimal proxy", "");
  out.push(
    "Each figure is taken within a round (the three paths ran back to back) and summarized over rounds: " +
      "median (min–max).",
    "",
  );
  out.push(
    markdownTable(
      [
        "backend",
        "clients",
        "cortex/proxy req/s",
        "added p50 vs proxy (ms)",
        "added p50 vs direct (ms)",
        "cortex/proxy CPU per request",
      ],
      summary.levels.map((level) => [
        level.backend,
        String(level.clients),
        formatRatioSummary(level.paired.cortexVsProxy, (value) => formatPercent(value)),
        formatSummary(level.paired.addedP50Ms),
        formatSummary(level.paired.addedP50VsDirectMs),
        formatRatioSummary(level.paired.cortexCpuVsProxy, (value) => `${value.toFixed(2)}×`),
      ]),
    ),
  );
  const fewest = Math.min(...options.clients);
  out.push(
    "",
    `Throughput: ${formatVerdict(
      summary.levels.length === 0
        ? undefined
        : summary.levels.every((level) => level.paired.cortexVsProxy.median >= CORTEX_THROUGHPUT_TARGET),
      `≥ ${formatPercent(CORTEX_THROUGHPUT_TARGET)} of the proxy at every level`,
    )}. Added p50 with ${fewest} client${fewest === 1 ? "" : "s"}: ${formatVerdict(
      summary.levels.length === 0
        ? undefined
        : summary.levels
            .filter((level) => level.clients === fewest)
            .every((level) => level.paired.addedP50Ms.median <= CORTEX_ADDED_P50_TARGET_MS),
      `≤ ${CORTEX_ADDED_P50_TARGET_MS} ms`,
    )}.`,
  );
  if (summary.missed.length > 0) out.push("", "Missed:", ...summary.missed.map((line) => `- ${line}`));
  if (summary.ttft.length > 0) {
    out.push("", `### streaming TTFT (sequential, ${options.ttftRequests} requests per path)`, "");
    out.push(
      markdownTable(
        ["backend", "path", "TTFT p50 ms", "TTFT p99 ms", "n", "errors"],
        summary.ttft.map((row) => [
          row.backend,
          row.path,
          formatNumber(row.p50Ms),
          formatNumber(row.p99Ms),
          String(row.n),
          String(row.errors),
        ]),
      ),
    );
  }
  if (result.profile) out.push("", ...formatHopProfiles(result.profile));
  if (result.skipped.length > 0) out.push("", `Skipped (time budget): ${result.skipped.join("; ")}.`);
  return out.join("\n");
}

function formatRatioSummary(summary: Summary, format: (value: number) => string): string {
  if (summary.n === 0 || !Number.isFinite(summary.median)) return "–";
  if (summary.n === 1) return format(summary.median);
  return `${format(summary.median)} (${format(summary.min)}–${format(summary.max)})`;
}
