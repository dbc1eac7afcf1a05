import { Counter, Histogram, Registry, type OpenMetricsContentType } from "prom-client";
import { describe, expect, it } from "vitest";
import {
  SeriesCounter,
  SeriesHistogram,
  type CounterSeries,
  type HistogramSeries,
} from "../../src/metrics/series-metrics.js";

type AnyRegistry = Registry | Registry<OpenMetricsContentType>;

const BUCKETS = [0.005, 0.01, 0.1, 0.25, 1, 2.5, 10];
const OBSERVATIONS = [0, ...BUCKETS, 0.003, 0.1 + 0.2, 0.7, 11, 1000, -2];
const INCREMENTS = ["default", 0, 1, 0.5, 2.25, 0.1, 1e9] as const;
const LABEL_NAMES = {
  0: [],
  1: ["model"],
  3: ["model", "node", "dialect"],
} as const;
// Escaping matters in the exposition; "" matters to default labels, which replace falsy values in JSON.
const LABEL_VALUES = ["m1", "llama-3.1:8b", 'say "hi"', "back\\slash", "two\nlines", ""];
const HELP = "Help with a \\ backslash\nand a newline.";

const REGISTRIES: Record<string, () => AnyRegistry> = {
  prometheus: () => new Registry(),
  "default labels": () => {
    const registry = new Registry();
    // `model` collides with a series label: the series value must win in both implementations.
    registry.setDefaultLabels({ region: "eu", model: "fallback" });
    return registry;
  },
  openmetrics: () => {
    const registry = new Registry<OpenMetricsContentType>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    return registry;
  },
};

/** Deterministic so a failure reproduces; mulberry32. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(items: readonly T[], rand: () => number): T {
  const item = items[Math.floor(rand() * items.length)];
  if (item === undefined) throw new Error("nothing to pick from");
  return item;
}

type Step<A> = { combo: readonly string[]; amount: A } | "reset" | "compare";

/** Some label combinations recurring in random order, a reset midway, and comparisons along the way. */
function script<A>(labelCount: number, amounts: readonly A[], seed: number) {
  const rand = random(seed);
  const combos = Array.from({ length: labelCount === 0 ? 1 : 4 }, () =>
    Array.from({ length: labelCount }, () => pick(LABEL_VALUES, rand)),
  );
  const steps: Step<A>[] = ["compare"];
  for (let i = 1; i <= 60; i++) {
    steps.push({ combo: pick(combos, rand), amount: pick(amounts, rand) });
    if (i === 20) steps.push("compare");
    if (i === 30) steps.push("reset", "compare");
  }
  steps.push("compare");
  return { combos, steps };
}

function labelsOf(names: readonly string[], values: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name, i) => [name, values[i] ?? ""]));
}

async function expectSameExposition(expected: AnyRegistry, actual: AnyRegistry): Promise<void> {
  expect(await actual.metrics()).toBe(await expected.metrics());
  const [want, got] = [await expected.getMetricsAsJSON(), await actual.getMetricsAsJSON()];
  expect(got).toStrictEqual(want);
  expect(JSON.stringify(got)).toBe(JSON.stringify(want));
}

describe.each(Object.entries(REGISTRIES))(
  "against prom-client on a %s registry",
  (_flavour, makeRegistry) => {
    describe.each([0, 1, 3] as const)("with %i labels", (labelCount) => {
      const labelNames = LABEL_NAMES[labelCount];

      it("a SeriesCounter exports exactly what a Counter does", async () => {
        const [a, b] = [makeRegistry(), makeRegistry()];
        const config = { name: "t_requests_total", help: HELP, labelNames };
        const reference = new Counter({ ...config, registers: [a] });
        const counter = new SeriesCounter({ ...config, registers: [b] });
        const { combos, steps } = script(labelCount, INCREMENTS, 1000 + labelCount);
        // Taken before the reset on purpose: handles must outlive it.
        const handles = new Map<string, CounterSeries>(
          combos.map((c) => [c.join("\0"), counter.series(...c)]),
        );

        for (const step of steps) {
          if (step === "compare") await expectSameExposition(a, b);
          else if (step === "reset") [a, b].forEach((r) => r.resetMetrics());
          else {
            const amount = step.amount === "default" ? undefined : step.amount;
            if (labelCount === 0) reference.inc(amount);
            else reference.inc(labelsOf(labelNames, step.combo), amount);
            handles.get(step.combo.join("\0"))?.inc(amount);
          }
        }
      });

      it("a SeriesHistogram exports exactly what a Histogram does", async () => {
        const [a, b] = [makeRegistry(), makeRegistry()];
        const config = { name: "t_latency_seconds", help: HELP, labelNames, buckets: BUCKETS };
        const reference = new Histogram({ ...config, registers: [a] });
        const histogram = new SeriesHistogram({ ...config, registers: [b] });
        const { combos, steps } = script(labelCount, OBSERVATIONS, 2000 + labelCount);
        const handles = new Map<string, HistogramSeries>(
          combos.map((c) => [c.join("\0"), histogram.series(...c)]),
        );

        for (const step of steps) {
          if (step === "compare") await expectSameExposition(a, b);
          else if (step === "reset") [a, b].forEach((r) => r.resetMetrics());
          else {
            if (labelCount === 0) reference.observe(step.amount);
            else reference.observe(labelsOf(labelNames, step.combo), step.amount);
            handles.get(step.combo.join("\0"))?.observe(step.amount);
          }
        }
      });
    });
  },
);

describe("SeriesCounter and SeriesHistogram", () => {
  it("put le before the series labels and count a value on a bound in that bucket, like prom-client", async () => {
    const registry = new Registry();
    const histogram = new SeriesHistogram({
      name: "h",
      help: "h",
      labelNames: ["model"],
      buckets: [1, 2],
      registers: [registry],
    });
    histogram.series("a").observe(2);
    histogram.series("a").observe(0.5);
    expect(await registry.metrics()).toBe(
      [
        "# HELP h h",
        "# TYPE h histogram",
        'h_bucket{le="1",model="a"} 1',
        'h_bucket{le="2",model="a"} 2',
        'h_bucket{le="+Inf",model="a"} 2',
        'h_sum{model="a"} 2.5',
        'h_count{model="a"} 2',
        "",
      ].join("\n"),
    );
  });

  it("hand out one cached handle per label combination, kept across resets", () => {
    const counter = new SeriesCounter({ name: "c", help: "c", labelNames: ["a", "b"], registers: [] });
    const handle = counter.series("x", "y");
    expect(counter.series("x", "y")).toBe(handle);
    expect(counter.series("y", "x")).not.toBe(handle);
    counter.reset();
    expect(counter.series("x", "y")).toBe(handle);
  });

  it("reject the wrong number of label values, naming the metric", () => {
    const counter = new SeriesCounter({ name: "c_total", help: "c", labelNames: ["a", "b"], registers: [] });
    expect(() => counter.series("x")).toThrow(/c_total/);
    expect(() => counter.series("x", "y", "z")).toThrow(/c_total/);
    const histogram = new SeriesHistogram({
      name: "h_seconds",
      help: "h",
      labelNames: [],
      buckets: [1],
      registers: [],
    });
    expect(() => histogram.series("x")).toThrow(/h_seconds/);
  });

  it("reject non-finite observations and negative or non-finite increments", () => {
    const histogram = new SeriesHistogram({
      name: "h",
      help: "h",
      labelNames: [],
      buckets: [1],
      registers: [],
    }).series();
    for (const bad of [NaN, Infinity, -Infinity]) expect(() => histogram.observe(bad)).toThrow(TypeError);
    const counter = new SeriesCounter({ name: "c", help: "c", labelNames: [], registers: [] }).series();
    for (const bad of [-1, -0.001, NaN, Infinity]) expect(() => counter.inc(bad)).toThrow(TypeError);
  });

  it("validate their configuration like prom-client, and buckets beyond it", () => {
    const base = { help: "x", labelNames: [] as string[], registers: [] };
    expect(() => new SeriesCounter({ ...base, name: "no-dashes" })).toThrow("Invalid metric name");
    expect(() => new SeriesCounter({ ...base, name: "c", labelNames: ["0a"] })).toThrow("Invalid label name");
    expect(() => new SeriesCounter({ ...base, name: "c", help: "" })).toThrow(
      "Missing mandatory help parameter",
    );
    expect(() => new SeriesHistogram({ ...base, name: "h", labelNames: ["le"], buckets: [1] })).toThrow(
      "le is a reserved label keyword",
    );
    for (const buckets of [[2, 1], [1, 1], [1, Infinity], [NaN]]) {
      expect(() => new SeriesHistogram({ ...base, name: "h", buckets })).toThrow(/strictly increasing/);
    }
    const registry = new Registry();
    new Counter({ name: "taken", help: "x", registers: [registry] });
    expect(() => new SeriesCounter({ ...base, name: "taken", registers: [registry] })).toThrow(
      /already been registered/,
    );
  });
});
