import { describe, expect, it } from "vitest";
import { RateEstimate, restoreBeatsPrefill, shouldSaveBeforeReuse } from "../../src/kv-cache/kv-policy.js";

describe("shouldSaveBeforeReuse", () => {
  const base = { held: 5000, kept: 100, minTokens: 256, continuation: false, covered: false };

  it("saves a long state another conversation is about to overwrite", () => {
    expect(shouldSaveBeforeReuse(base)).toBe(true);
  });

  it.each([
    ["the same conversation goes on", { continuation: true }],
    ["the tier already holds it", { covered: true }],
    ["the state is short", { held: 200, kept: 0 }],
    ["little of it is lost", { kept: 4900 }],
  ])("does not save when %s", (_case, change) => {
    expect(shouldSaveBeforeReuse({ ...base, ...change })).toBe(false);
  });
});

describe("restoreBeatsPrefill", () => {
  const base = { gainTokens: 8000, stateBytes: 4e6, minTokens: 256 };

  it("restores before anything is measured, when the gain is worth it", () => {
    expect(restoreBeatsPrefill({ ...base, prefillTokensPerMs: null, restoreBytesPerMs: null })).toBe(true);
    expect(
      restoreBeatsPrefill({ ...base, gainTokens: 100, prefillTokensPerMs: null, restoreBytesPerMs: null }),
    ).toBe(false);
  });

  it("compares the measured times", () => {
    // 8000 tokens at 2 tok/ms = 4 s of prefill; 4 MB at 500 B/ms = 8 s of restore.
    expect(restoreBeatsPrefill({ ...base, prefillTokensPerMs: 2, restoreBytesPerMs: 500 })).toBe(false);
    expect(restoreBeatsPrefill({ ...base, prefillTokensPerMs: 2, restoreBytesPerMs: 500_000 })).toBe(true);
  });
});

describe("RateEstimate", () => {
  it("starts unknown, then is the median of the last observations", () => {
    const rate = new RateEstimate(3);
    expect(rate.value).toBeNull();
    rate.observe(100, 10);
    expect(rate.value).toBe(10);
    // One stall does not move it.
    rate.observe(100, 1000);
    rate.observe(300, 10);
    expect(rate.value).toBe(10);
    rate.observe(400, 10);
    expect(rate.value).toBe(30);
    rate.observe(0, 10);
    rate.observe(10, 0);
    expect(rate.value).toBe(30);
  });
});
