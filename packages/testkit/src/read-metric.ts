/** One sample of a Prometheus text exposition. */
export interface MetricSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Every sample of `name` (exact name, so `_bucket`/`_sum` series of other metrics never match). */
export function metricSamples(text: string, name: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]),
    ) as Record<string, string>;
    samples.push({ labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sums a Prometheus metric's samples whose labels include `labels`. */
export function readMetric(text: string, name: string, labels: Record<string, string> = {}): number {
  return metricSamples(text, name)
    .filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}
