/** Sum and count of the gateway's `cortex_gateway_decode_tokens_per_second` histogram for one node. */
export interface RateSample {
  sum: number;
  count: number;
}

const METRIC = "cortex_gateway_decode_tokens_per_second";
const SAMPLE = new RegExp(`^${METRIC}_(sum|count)\\{([^}]*)\\}\\s+(\\S+)`);
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

/** Pure: per node, the histogram's sum and count added over every model and dialect. */
export function parseDecodeRates(prometheusText: string): Map<string, RateSample> {
  const byNode = new Map<string, RateSample>();
  for (const line of prometheusText.split("\n")) {
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const [, part, labels = "", raw = ""] = match;
    const node = labelValue(labels, "node");
    const value = Number(raw);
    if (node === undefined || !Number.isFinite(value)) continue;
    const sample = byNode.get(node) ?? { sum: 0, count: 0 };
    if (part === "sum") sample.sum += value;
    else sample.count += value;
    byNode.set(node, sample);
  }
  return byNode;
}

/**
 * Pure: tokens per second per node. With an earlier scrape (`--watch`), the mean over the requests
 * finished since then; otherwise, or when none finished since, the mean since the gateway started.
 */
export function decodeRates(
  current: ReadonlyMap<string, RateSample>,
  previous?: ReadonlyMap<string, RateSample>,
): Map<string, number> {
  const rates = new Map<string, number>();
  for (const [node, sample] of current) {
    const before = previous?.get(node);
    if (before && sample.count > before.count) {
      rates.set(node, (sample.sum - before.sum) / (sample.count - before.count));
    } else if (sample.count > 0) {
      rates.set(node, sample.sum / sample.count);
    }
  }
  return rates;
}

function labelValue(labels: string, name: string): string | undefined {
  for (const match of labels.matchAll(LABEL)) {
    if (match[1] === name)
      return (match[2] ?? "").replace(/\\(.)/g, (_, char: string) => (char === "n" ? "\n" : char));
  }
  return undefined;
}
