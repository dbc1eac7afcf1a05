import { describe, expect, it } from "vitest";
import { MemoryBudget } from "../../src/models/memory-budget.js";

const GiB = 1024 ** 3;

describe("MemoryBudget", () => {
  it("on a device, free is the smaller of what is unreserved and what the device says, minus headroom", () => {
    const budget = new MemoryBudget({
      source: "vram",
      headroom: 1 * GiB,
      device: { total: 24 * GiB, free: 20 * GiB },
    });
    expect(budget.snapshot()).toEqual({
      total: 24 * GiB,
      used: 0,
      free: 19 * GiB,
      headroom: 1 * GiB,
      source: "vram",
    });
    budget.reserve("a", 10 * GiB);
    // The device has not noticed the load yet; the reservation already counts.
    expect(budget.snapshot()).toMatchObject({ used: 10 * GiB, free: 13 * GiB });
    budget.updateDevice({ total: 24 * GiB, free: 4 * GiB });
    expect(budget.snapshot().free).toBe(3 * GiB);
  });

  it("with a configured limit, ignores the device and counts reservations only", () => {
    const budget = new MemoryBudget({
      source: "budget",
      limit: 8 * GiB,
      headroom: 0,
      device: { total: 64 * GiB, free: 1 },
    });
    budget.reserve("a", 3 * GiB);
    expect(budget.snapshot()).toEqual({
      total: 8 * GiB,
      used: 3 * GiB,
      free: 5 * GiB,
      headroom: 0,
      source: "budget",
    });
  });

  it("refuses a reservation that does not fit, with needed and free in the message", () => {
    const budget = new MemoryBudget({
      source: "ram",
      headroom: 512 * 1024 ** 2,
      device: { total: 16 * GiB, free: 4 * GiB },
    });
    let thrown: unknown;
    try {
      budget.reserve("qwen3-8b", 6 * GiB);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      code: "insufficient_memory",
      status: 503,
      retryable: true,
      retryAfter: 5,
      message: "insufficient memory to load qwen3-8b: needs 6 GiB, 3.5 GiB free (ram, 512 MiB headroom kept)",
    });
    expect(budget.used).toBe(0);
  });

  it("makes the second of two concurrent loads that only fit alone fail", () => {
    const budget = new MemoryBudget({
      source: "budget",
      limit: 10 * GiB,
      headroom: 0,
      device: { total: 0, free: 0 },
    });
    budget.reserve("a", 6 * GiB);
    expect(() => budget.reserve("b", 6 * GiB)).toThrow(/needs 6 GiB, 4 GiB free \(budget\)$/);
  });

  it("reserves once per owner and releases idempotently", () => {
    const budget = new MemoryBudget({
      source: "budget",
      limit: 10 * GiB,
      headroom: 0,
      device: { total: 0, free: 0 },
    });
    budget.reserve("a", 4 * GiB);
    budget.reserve("a", 4 * GiB);
    expect(budget.used).toBe(4 * GiB);
    budget.release("a");
    budget.release("a");
    budget.release("never-reserved");
    expect(budget.used).toBe(0);
  });

  it("never reports negative free memory", () => {
    const budget = new MemoryBudget({
      source: "vram",
      headroom: 2 * GiB,
      device: { total: 8 * GiB, free: 1 * GiB },
    });
    expect(budget.snapshot().free).toBe(0);
  });

  describe("with the KV state tier as an elastic RAM user", () => {
    /** Holds `bytes`, gives back whole states of `state` bytes when asked. */
    function tier(bytes: number, state: number) {
      const asked: number[] = [];
      return {
        asked,
        get bytes() {
          return bytes;
        },
        reclaim(wanted: number) {
          asked.push(wanted);
          const freed = Math.min(bytes, Math.ceil(wanted / state) * state);
          bytes -= freed;
          return freed;
        },
      };
    }

    const budgetOf8GiB = () =>
      new MemoryBudget({ source: "budget", limit: 8 * GiB, headroom: 0, device: { total: 0, free: 0 } });

    it("counts the tier as free for models and shows it apart", () => {
      const budget = budgetOf8GiB();
      budget.attachElastic(tier(1 * GiB, GiB / 4));
      budget.reserve("a", 3 * GiB);
      expect(budget.snapshot()).toMatchObject({ used: 3 * GiB, free: 5 * GiB, kv_cache: 1 * GiB });
    });

    it("takes RAM back from the tier only when a load needs it", () => {
      const budget = budgetOf8GiB();
      const kv = tier(2 * GiB, GiB / 2);
      budget.attachElastic(kv);
      budget.reserve("a", 5 * GiB);
      expect(kv.asked).toEqual([]);
      budget.reserve("b", 2 * GiB);
      expect(kv.asked).toEqual([1 * GiB]);
      expect(kv.bytes).toBe(1 * GiB);
      expect(() => budget.reserve("c", 2 * GiB)).toThrow(/insufficient memory/);
    });

    it("on RAM without a limit, adds the tier back to what the OS reports free", () => {
      const budget = new MemoryBudget({
        source: "ram",
        headroom: 0,
        device: { total: 16 * GiB, free: 3 * GiB },
      });
      const kv = tier(1 * GiB, GiB / 4);
      budget.attachElastic(kv);
      expect(budget.snapshot().free).toBe(4 * GiB);
      budget.reserve("a", 3.5 * GiB);
      expect(kv.bytes).toBe(0.5 * GiB);
    });
  });
});
