import {
  histogramTotals,
  meanSince,
  type HistogramReading,
  type HistogramTotals,
} from "./histogram-totals.js";

/** One node/model pair's recent decode speed and time to first token, oldest sample first. */
export interface RateSeries {
  node: string;
  model: string;
  /** Mean decode tokens/s of the requests that finished in each interval; null: none finished. */
  tokens_per_second: (number | null)[];
  /** Mean seconds to the first token of the requests that started streaming in each interval. */
  ttft_seconds: (number | null)[];
}

interface Readings {
  decode: Map<string, HistogramTotals>;
  ttft: Map<string, HistogramTotals>;
}

/**
 * The last `length` samples per node/model pair, each the mean of the histogram observations made since
 * the previous sample (sum and count deltas). The first reading is only a baseline.
 */
export class RateHistory {
  readonly #length: number;
  readonly #series = new Map<string, RateSeries>();
  #previous: Readings | undefined;

  constructor(length: number) {
    this.#length = length;
  }

  record(decode: HistogramReading, ttft: HistogramReading): void {
    const current: Readings = { decode: histogramTotals(decode), ttft: histogramTotals(ttft) };
    const previous = this.#previous;
    this.#previous = current;
    if (!previous) return;
    for (const key of new Set([...current.decode.keys(), ...current.ttft.keys()])) {
      if (!this.#series.has(key)) this.#series.set(key, newSeries(key));
    }
    for (const [key, series] of this.#series) {
      push(
        series.tokens_per_second,
        meanSince(previous.decode.get(key), current.decode.get(key)),
        this.#length,
      );
      push(series.ttft_seconds, meanSince(previous.ttft.get(key), current.ttft.get(key)), this.#length);
    }
  }

  /** After a pause in sampling: the next reading is a new baseline, not one long interval. */
  rebase(): void {
    this.#previous = undefined;
  }

  series(): RateSeries[] {
    return [...this.#series.values()].map((series) => ({
      ...series,
      tokens_per_second: [...series.tokens_per_second],
      ttft_seconds: [...series.ttft_seconds],
    }));
  }
}

function newSeries(key: string): RateSeries {
  const [node = "", model = ""] = key.split("\u0000");
  return { node, model, tokens_per_second: [], ttft_seconds: [] };
}

function push(samples: (number | null)[], value: number | null, length: number): void {
  samples.push(value === null ? null : Math.round(value * 1000) / 1000);
  if (samples.length > length) samples.splice(0, samples.length - length);
}
