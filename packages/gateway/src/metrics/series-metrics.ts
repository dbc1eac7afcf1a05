import { format } from "node:util";
import type { Aggregator, Metric, Registry, RegistryContentType } from "prom-client";

/**
 * Counter and Histogram for the request hot path. prom-client re-hashes and re-validates the label
 * object on every call; here a label combination is resolved once to a series handle (keep it, since
 * series() itself still costs a join and a Map lookup). The exposition, text and JSON, is byte for byte
 * what prom-client 15.1's own Counter and Histogram emit.
 */

export interface CounterSeries {
  inc(amount?: number): void;
}

export interface HistogramSeries {
  observe(value: number): void;
}

interface SeriesConfig<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  registers: readonly Registry<RegistryContentType>[];
}

type LabelSet = Readonly<Record<string, string | number>>;

export interface CounterSample {
  value: number;
  labels: LabelSet;
}

/** What Histogram.getForPromString() yields: the registry prints `labels` first, then `sharedLabels`. */
interface HistogramTextSample {
  labels: LabelSet;
  sharedLabels: LabelSet;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

export interface HistogramSample {
  value: number;
  metricName: string;
  exemplar: null | undefined;
  labels: LabelSet;
}

export interface MetricSnapshot<T extends "counter" | "histogram", V> {
  name: string;
  help: string;
  type: T;
  values: V[];
  aggregator: Aggregator;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function validateConfig(config: SeriesConfig<string>): void {
  // Same checks and messages as prom-client's Metric constructor.
  if (!config.help) throw new Error("Missing mandatory help parameter");
  if (!config.name) throw new Error("Missing mandatory name parameter");
  if (!METRIC_NAME.test(config.name)) throw new Error("Invalid metric name");
  if (!config.labelNames.every((l) => LABEL_NAME.test(l))) throw new Error("Invalid label name");
}

function register(metric: object, registers: SeriesConfig<string>["registers"]): void {
  // prom-client's typings only admit its own classes; at runtime a registry needs nothing but
  // name, type, get()/getForPromString() and reset().
  for (const registry of registers) registry.registerMetric(metric as Metric);
}

/** A series starts exporting on its first observation after construction or reset. */
abstract class Cell {
  private isLive = false;

  constructor(
    readonly labels: LabelSet,
    private readonly live: Cell[],
  ) {}

  activate(): void {
    if (!this.isLive) {
      this.isLive = true;
      this.live.push(this);
    }
  }

  /** The owner empties its live list alongside. */
  deactivate(): void {
    this.isLive = false;
  }
}

/** Series bookkeeping shared by both metric kinds. */
abstract class SeriesTable<L extends string, S extends Cell> {
  // Not readonly: an OpenMetrics registry strips a counter's `_total` suffix in place.
  name: string;
  readonly help: string;
  readonly aggregator: Aggregator = "sum";
  readonly labelNames: readonly L[];
  /** Series in the order of their first observation since the last reset, as prom-client exports them. */
  protected readonly live: S[] = [];
  private readonly cache = new Map<string, S>();

  constructor(config: SeriesConfig<L>) {
    validateConfig(config);
    this.name = config.name;
    this.help = config.help;
    this.labelNames = [...config.labelNames];
  }

  protected resolve(values: readonly string[]): S {
    // Label values containing NUL could collide; Prometheus label values in practice never do.
    const key = values.join("\u0000");
    let series = this.cache.get(key);
    if (series === undefined) {
      if (values.length !== this.labelNames.length) {
        throw new Error(
          `${this.name}: expected ${this.labelNames.length} label values (${this.labelNames.join(", ")}), got ${values.length}`,
        );
      }
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i] ?? ""));
      series = this.createSeries(labels);
      this.cache.set(key, series);
    }
    return series;
  }

  protected abstract createSeries(labels: LabelSet): S;
}

class CounterCell extends Cell implements CounterSeries {
  value = 0;

  inc(amount = 1): void {
    // Stricter than prom-client, which lets NaN through (it tests `value &&`) and throws a plain Error for negatives.
    if (!Number.isFinite(amount) || amount < 0) {
      throw new TypeError(`Counter increment must be a finite number >= 0, got ${format(amount)}`);
    }
    this.value += amount;
    this.activate();
  }
}

export class SeriesCounter<L extends string> extends SeriesTable<L, CounterCell> {
  readonly type = "counter";

  constructor(config: SeriesConfig<L>) {
    super(config);
    this.reset();
    register(this, config.registers);
  }

  protected createSeries(labels: LabelSet): CounterCell {
    return new CounterCell(labels, this.live);
  }

  series(...values: string[]): CounterSeries {
    return this.resolve(values);
  }

  reset(): void {
    for (const cell of this.live) {
      cell.value = 0;
      cell.deactivate();
    }
    this.live.length = 0;
    // prom-client exports an unlabelled counter as 0 from the start and again right after a reset.
    if (this.labelNames.length === 0) this.resolve([]).activate();
  }

  async get(): Promise<MetricSnapshot<"counter", CounterSample>> {
    return {
      help: this.help,
      name: this.name,
      type: this.type,
      values: this.live.map((cell) => ({ value: cell.value, labels: { ...cell.labels } })),
      aggregator: this.aggregator,
    };
  }
}

class HistogramCell extends Cell implements HistogramSeries {
  /** Per-bucket (not cumulative) counts; the last slot holds observations above the top bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    labels: LabelSet,
    private readonly bounds: readonly number[],
    live: Cell[],
  ) {
    super(labels, live);
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${format(value)}`);
    let i = 0;
    for (const bound of this.bounds) {
      if (value <= bound) break;
      i++;
    }
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += value;
    this.count += 1;
    this.activate();
  }

  clear(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
    this.deactivate();
  }
}

export class SeriesHistogram<L extends string> extends SeriesTable<L, HistogramCell> {
  readonly type = "histogram";
  private readonly bounds: readonly number[];

  constructor(config: SeriesConfig<L> & { buckets: readonly number[] }) {
    super(config);
    if (config.labelNames.some((l) => l === "le")) throw new Error("le is a reserved label keyword");
    // prom-client accepts any array (and freezes the caller's); the bucket search here needs order.
    let previous = -Infinity;
    for (const bound of config.buckets) {
      if (!Number.isFinite(bound) || bound <= previous) {
        throw new Error(`${config.name}: buckets must be finite and strictly increasing`);
      }
      previous = bound;
    }
    this.bounds = [...config.buckets];
    // prom-client exports an unlabelled histogram as all zeros from the start, but not after a reset.
    if (this.labelNames.length === 0) this.resolve([]).activate();
    register(this, config.registers);
  }

  protected createSeries(labels: LabelSet): HistogramCell {
    return new HistogramCell(labels, this.bounds, this.live);
  }

  series(...values: string[]): HistogramSeries {
    return this.resolve(values);
  }

  reset(): void {
    for (const cell of this.live) cell.clear();
    this.live.length = 0;
  }

  /** The registry prefers this over get() for the text format; it yields le before the series labels. */
  async getForPromString(): Promise<MetricSnapshot<"histogram", HistogramTextSample>> {
    const bucket = `${this.name}_bucket`;
    const values: HistogramTextSample[] = [];
    for (const cell of this.live) {
      const sharedLabels = cell.labels;
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += cell.counts[i] ?? 0;
        values.push({ labels: { le }, sharedLabels, value: cumulative, metricName: bucket, exemplar: null });
      });
      values.push(
        { labels: { le: "+Inf" }, sharedLabels, value: cell.count, metricName: bucket, exemplar: null },
        { labels: {}, sharedLabels, value: cell.sum, metricName: `${this.name}_sum`, exemplar: undefined },
        {
          labels: {},
          sharedLabels,
          value: cell.count,
          metricName: `${this.name}_count`,
          exemplar: undefined,
        },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  async get(): Promise<MetricSnapshot<"histogram", HistogramSample>> {
    const snapshot = await this.getForPromString();
    return {
      ...snapshot,
      values: snapshot.values.map((s) => ({
        value: s.value,
        metricName: s.metricName,
        exemplar: s.exemplar,
        labels: { ...s.labels, ...s.sharedLabels },
      })),
    };
  }
}
