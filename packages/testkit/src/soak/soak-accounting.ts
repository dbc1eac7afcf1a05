import { metricSamples, type MetricSample } from "../read-metric.js";
import type { SoakResult } from "./soak-client.js";
import type { SoakDialect } from "./soak-requests.js";

export function sumSamples(samples: readonly MetricSample[]): number {
  return samples.reduce((sum, sample) => sum + sample.value, 0);
}

/** `cortex_gateway_requests_total` as dialect → status → count. */
export type RequestCounts = Map<SoakDialect, Map<number, number>>;

export function requestCounts(metricsText: string): RequestCounts {
  const counts: RequestCounts = new Map();
  for (const sample of metricSamples(metricsText, "cortex_gateway_requests_total")) {
    const dialect = sample.labels.dialect as SoakDialect;
    const status = Number(sample.labels.status);
    const byStatus = counts.get(dialect) ?? new Map<number, number>();
    byStatus.set(status, (byStatus.get(status) ?? 0) + sample.value);
    counts.set(dialect, byStatus);
  }
  return counts;
}

/** after − before, per dialect and status. */
export function countsBetween(before: RequestCounts, after: RequestCounts): RequestCounts {
  const delta: RequestCounts = new Map();
  for (const [dialect, byStatus] of after) {
    const earlier = before.get(dialect);
    const out = new Map<number, number>();
    for (const [status, count] of byStatus) {
      const difference = count - (earlier?.get(status) ?? 0);
      if (difference !== 0) out.set(status, difference);
    }
    delta.set(dialect, out);
  }
  return delta;
}

/**
 * The gateway statuses (the meter records cortex's own status, before the dialect renders it) that a
 * client of `dialect` sees as `status`: Anthropic shows 503s as 529 and 499s as 400, other 5xx as 500;
 * OpenAI shows 499 as 400 and 529 as 503.
 */
function gatewayStatusesFor(dialect: SoakDialect, status: number): readonly number[] {
  if (status === 400) return [400, 499];
  if (dialect === "anthropic") {
    if (status === 529) return [503, 529];
    if (status === 500) return [500, 502, 507];
    return [status];
  }
  if (status === 503) return [503, 529];
  return [status];
}

export interface Reconciliation {
  /** Requests the gateway's counters do not show as what the client got (or shows too many of). */
  readonly unaccounted: number;
  readonly notes: readonly string[];
}

/**
 * Matches every client-side ending against the gateway's request counters, dialect by dialect: an ok is
 * a 200, an error its status (through the dialect's mapping), a stream that ended in an error event a
 * 5xx; client aborts (and hung or bad endings, already unaccounted for) may be counted under any status.
 * What stays unmatched on either side is unaccounted for.
 */
export function reconcile(results: readonly SoakResult[], delta: RequestCounts): Reconciliation {
  let unaccounted = 0;
  const notes: string[] = [];
  const dialects = new Set<SoakDialect>([...results.map((result) => result.spec.dialect), ...delta.keys()]);
  for (const dialect of dialects) {
    const left = new Map(delta.get(dialect) ?? []);
    const take = (statuses: readonly number[]): boolean => {
      for (const status of statuses) {
        const count = left.get(status) ?? 0;
        if (count > 0) {
          left.set(status, count - 1);
          return true;
        }
      }
      return false;
    };
    const mine = results.filter((result) => result.spec.dialect === dialect);
    let flexible = 0;
    const missing = new Map<string, number>();
    const miss = (what: string): void => {
      missing.set(what, (missing.get(what) ?? 0) + 1);
    };
    for (const { outcome } of mine) {
      if (outcome.kind === "ok" && !take([200])) miss("200");
      if (outcome.kind === "error" && !take(gatewayStatusesFor(dialect, outcome.status)))
        miss(`${outcome.status}`);
    }
    const fiveHundreds = [...left.keys()].filter((status) => status >= 500).sort((a, b) => a - b);
    for (const { outcome } of mine) {
      if (outcome.kind === "stream_error" && !take(fiveHundreds)) miss("stream error (5xx)");
      if (outcome.kind === "aborted" || outcome.kind === "hung" || outcome.kind === "bad") flexible++;
    }
    const remaining = [...left.values()].reduce((sum, count) => sum + count, 0);
    const missed = [...missing.values()].reduce((sum, count) => sum + count, 0);
    // The flexible endings soak up what is left; whatever does not match either way is unaccounted.
    const extra = Math.abs(remaining - flexible);
    unaccounted += missed + extra;
    if (missed > 0) {
      notes.push(
        `${dialect}: not in the gateway's request counters: ${[...missing].map(([what, n]) => `${what} ×${n}`).join(", ")}`,
      );
    }
    if (extra > 0) {
      const leftover = [...left].filter(([, n]) => n > 0).map(([status, n]) => `${status} ×${n}`);
      notes.push(
        `${dialect}: ${remaining} counted request(s) left over (${leftover.join(", ") || "none"}) for ${flexible} aborted/hung/bad ending(s)`,
      );
    }
  }
  return { unaccounted, notes };
}
