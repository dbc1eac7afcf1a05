/** Sum and count of one histogram for one node/model pair, every dialect added up. */
export interface HistogramTotals {
  sum: number;
  count: number;
}

/** What prom-client's `Histogram.get()` returns, narrowed to what the dashboard reads. */
export interface HistogramReading {
  values: readonly {
    value: number;
    labels: Partial<Record<string, string | number>>;
    metricName?: string;
  }[];
}

/** `node \u0000 model`: both come from the config and the catalogue, and neither holds a NUL. */
export function seriesKey(node: string, model: string): string {
  return `${node}\u0000${model}`;
}

/** Pure: a histogram's `_sum` and `_count` per node/model pair (bucket lines are ignored). */
export function histogramTotals(reading: HistogramReading): Map<string, HistogramTotals> {
  const totals = new Map<string, HistogramTotals>();
  for (const { value, labels, metricName } of reading.values) {
    const part = metricName?.endsWith("_sum") ? "sum" : metricName?.endsWith("_count") ? "count" : null;
    if (part === null) continue;
    const key = seriesKey(String(labels.node ?? "unknown"), String(labels.model ?? "unknown"));
    const entry = totals.get(key) ?? { sum: 0, count: 0 };
    entry[part] += value;
    totals.set(key, entry);
  }
  return totals;
}

/**
 * Pure: the mean of the observations made between two readings, or null when there were none (or the
 * histogram was reset, which makes the count go down).
 */
export function meanSince(
  before: HistogramTotals | undefined,
  after: HistogramTotals | undefined,
): number | null {
  if (!after) return null;
  const count = after.count - (before?.count ?? 0);
  if (count <= 0) return null;
  return (after.sum - (before?.sum ?? 0)) / count;
}
