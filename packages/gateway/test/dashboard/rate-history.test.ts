import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { histogramTotals, meanSince } from "../../src/dashboard/histogram-totals.js";
import { RateHistory } from "../../src/dashboard/rate-history.js";

function histogram(): Histogram<"model" | "node" | "dialect"> {
  return new Histogram({
    name: "test_rate",
    help: "test",
    labelNames: ["model", "node", "dialect"],
    buckets: [1, 10, 100],
    registers: [new Registry()],
  });
}

describe("dashboard rate history", () => {
  it("adds a histogram's dialects up per node and model", async () => {
    const rate = histogram();
    rate.observe({ model: "m", node: "a", dialect: "openai" }, 10);
    rate.observe({ model: "m", node: "a", dialect: "anthropic" }, 30);
    rate.observe({ model: "m", node: "b", dialect: "openai" }, 5);
    const totals = histogramTotals(await rate.get());
    expect(Object.fromEntries(totals)).toEqual({
      "a\u0000m": { sum: 40, count: 2 },
      "b\u0000m": { sum: 5, count: 1 },
    });
  });

  it("samples the mean of each interval, null when nothing was observed or after a reset", () => {
    expect(meanSince({ sum: 10, count: 1 }, { sum: 40, count: 3 })).toBe(15);
    expect(meanSince(undefined, { sum: 8, count: 2 })).toBe(4);
    expect(meanSince({ sum: 8, count: 2 }, { sum: 8, count: 2 })).toBeNull();
    expect(meanSince({ sum: 8, count: 2 }, { sum: 1, count: 1 })).toBeNull();
    expect(meanSince({ sum: 8, count: 2 }, undefined)).toBeNull();
  });

  it("keeps the last samples per pair, the first reading being only a baseline", async () => {
    const decode = histogram();
    const ttft = histogram();
    const labels = { model: "m", node: "a", dialect: "openai" };
    const history = new RateHistory(3);
    decode.observe(labels, 100);
    history.record(await decode.get(), await ttft.get());
    expect(history.series()).toEqual([]);

    decode.observe(labels, 20);
    decode.observe(labels, 40);
    ttft.observe(labels, 0.25);
    history.record(await decode.get(), await ttft.get());
    history.record(await decode.get(), await ttft.get());
    decode.observe(labels, 50);
    history.record(await decode.get(), await ttft.get());
    decode.observe(labels, 60);
    history.record(await decode.get(), await ttft.get());
    expect(history.series()).toEqual([
      { node: "a", model: "m", tokens_per_second: [null, 50, 60], ttft_seconds: [null, null, null] },
    ]);
  });

  it("starts from a new baseline after a pause", async () => {
    const decode = histogram();
    const ttft = histogram();
    const labels = { model: "m", node: "a", dialect: "openai" };
    const history = new RateHistory(5);
    history.record(await decode.get(), await ttft.get());
    decode.observe(labels, 10);
    history.record(await decode.get(), await ttft.get());
    decode.observe(labels, 1000);
    history.rebase();
    history.record(await decode.get(), await ttft.get());
    decode.observe(labels, 30);
    history.record(await decode.get(), await ttft.get());
    expect(history.series()[0]?.tokens_per_second).toEqual([10, 30]);
  });
});
