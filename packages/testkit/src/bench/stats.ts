/** Median and spread of repeated measurements of one quantity. */
export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

/** Linear-interpolated percentile (p in 0..100) of unsorted samples; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low] ?? Number.NaN;
  const highValue = sorted[high] ?? lowValue;
  return lowValue + (highValue - lowValue) * (rank - low);
}

export function summarize(samples: readonly number[]): Summary {
  const finite = samples.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return { n: 0, median: Number.NaN, min: Number.NaN, max: Number.NaN };
  return {
    n: finite.length,
    median: percentile(finite, 50),
    min: Math.min(...finite),
    max: Math.max(...finite),
  };
}

/** Half the min–max range relative to the median, in percent: a quick "how noisy was this" figure. */
export function spreadPercent(summary: Summary): number {
  return summary.median === 0 ? Number.NaN : ((summary.max - summary.min) / 2 / summary.median) * 100;
}

/** a/b, NaN when either is missing. */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN;
}
