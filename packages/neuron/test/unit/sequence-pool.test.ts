import { CortexError } from "@cortex/core";
import { describe, expect, it } from "vitest";
import { SHORT_WORK_TOKENS, SequencePool, sharedPrefixLength } from "../../src/engine/sequence-pool.js";

interface Seq {
  name: string;
  tokens: number[];
}

function pool(sequences: Seq[], queueLimit = 8): SequencePool<Seq> {
  return new SequencePool(sequences, (sequence) => sequence.tokens, queueLimit);
}

const never = new AbortController().signal;

describe("SequencePool", () => {
  it("hands out the free sequence sharing the longest prompt prefix", async () => {
    const p = pool([
      { name: "a", tokens: [1, 9] },
      { name: "b", tokens: [1, 2, 3, 7] },
      { name: "c", tokens: [] },
    ]);
    const lease = await p.acquire([1, 2, 3, 4, 5], never);
    expect(lease.sequence.name).toBe("b");
    expect(lease.reusedTokens).toBe(3);
    expect(p.free).toBe(2);
  });

  it("reports zero reuse for a fresh sequence", async () => {
    const lease = await pool([{ name: "a", tokens: [] }]).acquire([1, 2], never);
    expect(lease.reusedTokens).toBe(0);
  });

  it("serves waiters first in, first out", async () => {
    const p = pool([{ name: "a", tokens: [] }]);
    const first = await p.acquire([1], never);
    const order: string[] = [];
    const second = p.acquire([2], never).then((lease) => {
      order.push("second");
      return lease;
    });
    const third = p.acquire([3], never).then((lease) => {
      order.push("third");
      return lease;
    });
    expect(p.queued).toBe(2);

    first.release();
    (await second).release();
    await third;
    expect(order).toEqual(["second", "third"]);
    expect(p.queued).toBe(0);
  });

  it("refuses beyond the queue limit with a retryable queue_full", async () => {
    const p = pool([{ name: "a", tokens: [] }], 1);
    await p.acquire([], never);
    const queued = p.acquire([], never);
    const refused = p.acquire([], never);

    await expect(refused).rejects.toBeInstanceOf(CortexError);
    await expect(refused).rejects.toMatchObject({
      code: "queue_full",
      status: 503,
      retryable: true,
      retryAfter: 1,
    });
    expect(p.queued).toBe(1);
    void queued;
  });

  it("removes a waiter whose signal aborts and rejects it with the signal's reason", async () => {
    const p = pool([{ name: "a", tokens: [] }]);
    const holder = await p.acquire([], never);
    const controller = new AbortController();
    const waiting = p.acquire([], controller.signal);
    const reason = new Error("client went away");
    controller.abort(reason);

    await expect(waiting).rejects.toBe(reason);
    expect(p.queued).toBe(0);
    holder.release();
    // Nobody inherited the sequence: it is free again.
    expect(p.free).toBe(1);
  });

  it("rejects an already-aborted acquire at once", async () => {
    const controller = new AbortController();
    controller.abort(new Error("gone"));
    const p = pool([{ name: "a", tokens: [] }]);
    const attempt = async (): Promise<unknown> => p.acquire([], controller.signal);
    await expect(attempt()).rejects.toThrow("gone");
    expect(p.free).toBe(1);
    expect(p.queued).toBe(0);
  });

  it("ignores a second release of the same lease", async () => {
    const p = pool([{ name: "a", tokens: [] }]);
    const first = await p.acquire([], never);
    const second = p.acquire([], never);
    first.release();
    await second;
    const third = p.acquire([], never);
    first.release();
    expect(p.free).toBe(0);
    expect(p.queued).toBe(1);
    void third;
  });

  it("measures shared prefixes", () => {
    expect(sharedPrefixLength([1, 2, 3], [1, 2, 4])).toBe(2);
    expect(sharedPrefixLength([], [1])).toBe(0);
    expect(sharedPrefixLength([1, 2], [1, 2, 3])).toBe(2);
  });
});

describe("SequencePool: short requests first", () => {
  const long = (seed: number): number[] =>
    Array.from({ length: 6 * SHORT_WORK_TOKENS }, (_, i) => seed * 1e6 + i);
  const short = (seed: number): number[] => [seed, seed + 1, seed + 2];

  /** Records the order in which acquires get their sequence; each releases at once when told. */
  function recorder(p: SequencePool<Seq>) {
    const order: string[] = [];
    const leases = new Map<string, Promise<Awaited<ReturnType<typeof p.acquire>>>>();
    return {
      order,
      queue(name: string, tokens: number[], cached?: number) {
        const lease = p.acquire(tokens, never, cached === undefined ? {} : { cachedTokens: () => cached });
        leases.set(
          name,
          lease.then((held) => {
            order.push(name);
            return held;
          }),
        );
      },
      async release(name: string) {
        (await leases.get(name))?.release();
      },
    };
  }

  it("serves a short waiter before long ones that queued earlier", async () => {
    const p = pool([{ name: "a", tokens: [] }]);
    const holder = await p.acquire(long(1), never);
    const r = recorder(p);
    r.queue("cold", long(2));
    r.queue("returning", short(3));
    holder.release();
    await r.release("returning");
    await r.release("cold");
    expect(r.order).toEqual(["returning", "cold"]);
  });

  it("counts what the KV tier holds as evaluated: a long prompt restored from it is short", async () => {
    const p = pool([{ name: "a", tokens: [] }]);
    const holder = await p.acquire(long(1), never);
    const r = recorder(p);
    r.queue("cold", long(2));
    r.queue("restorable", long(3), long(3).length - 10);
    holder.release();
    await r.release("restorable");
    await r.release("cold");
    expect(r.order).toEqual(["restorable", "cold"]);
  });

  it("lets short waiters overtake a long one a bounded number of times", async () => {
    const p = pool([{ name: "a", tokens: [] }], 64);
    const holder = await p.acquire(long(1), never);
    const r = recorder(p);
    r.queue("cold", long(2));
    for (let i = 0; i < 20; i++) r.queue(`short${i}`, short(100 + i));
    holder.release();
    for (let i = 0; i < 9; i++) await r.release(r.order.at(-1) as string);
    // Eight short ones went first, then the long one had waited long enough.
    expect(r.order.indexOf("cold")).toBe(8);
  });

  it("tells a long evaluation to yield to a short waiter, and only then", async () => {
    const p = pool([{ name: "a", tokens: [] }]);
    const holder = await p.acquire(long(1), never);
    const remaining = 5 * SHORT_WORK_TOKENS;
    expect(p.shouldYield(holder, remaining)).toBe(false);
    const cold = p.acquire(long(2), never);
    expect(p.shouldYield(holder, remaining)).toBe(false);
    const returning = p.acquire(short(3), never);
    expect(p.shouldYield(holder, remaining)).toBe(true);
    // Nearly done: finishing is cheaper than a save and a restore.
    expect(p.shouldYield(holder, SHORT_WORK_TOKENS)).toBe(false);
    holder.release();
    (await returning).release();
    void cold;
  });

  it("puts a yielding request back before everything that arrived after it, even into a full queue", async () => {
    const p = pool([{ name: "a", tokens: [] }], 2);
    const first = await p.acquire(long(1), never);
    const r = recorder(p);
    r.queue("later", long(2));
    r.queue("returning", short(3));
    expect(p.shouldYield(first, 5 * SHORT_WORK_TOKENS)).toBe(true);
    first.release();
    r.queue("filler", long(4));
    expect(p.queued).toBe(2);
    const resumed = p.acquire(long(1), never, { resuming: first, cachedTokens: () => 512 });
    expect(p.queued).toBe(3);
    await r.release("returning");
    const again = await resumed;
    expect(again.ticket).toBe(first.ticket);
    expect(again.yields).toBe(1);
    again.release();
    await r.release("later");
    await r.release("filler");
    expect(r.order).toEqual(["returning", "later", "filler"]);
  });

  it("stops yielding after two yields", async () => {
    const p = pool([{ name: "a", tokens: [] }]);
    let lease = await p.acquire(long(1), never);
    for (let round = 0; round < 2; round++) {
      const returning = p.acquire(short(10 + round), never);
      expect(p.shouldYield(lease, 5 * SHORT_WORK_TOKENS)).toBe(true);
      lease.release();
      const resumed = p.acquire(long(1), never, { resuming: lease });
      (await returning).release();
      lease = await resumed;
    }
    const returning = p.acquire(short(20), never);
    expect(p.shouldYield(lease, 5 * SHORT_WORK_TOKENS)).toBe(false);
    lease.release();
    (await returning).release();
  });
});

describe("SequencePool: the bound on short requests going first", () => {
  const long = (seed: number): number[] =>
    Array.from({ length: 6 * SHORT_WORK_TOKENS }, (_, i) => seed * 1e6 + i);

  it("lets at most eight short requests go before a long one in all, also when it is served and could yield", async () => {
    const p = pool([{ name: "a", tokens: [] }], 64);
    const holder = await p.acquire(long(1), never);
    const served: string[] = [];
    // The engine's loop: before each batch it asks whether to yield, and if so queues again.
    const cold = (async () => {
      let lease = await p.acquire(long(2), never);
      for (let remaining = 5 * SHORT_WORK_TOKENS; remaining > SHORT_WORK_TOKENS;) {
        if (p.shouldYield(lease, remaining)) {
          lease.release();
          lease = await p.acquire(long(2), never, { resuming: lease });
          continue;
        }
        remaining -= 512;
        await Promise.resolve();
      }
      served.push("cold");
      lease.release();
    })();
    const shorts = Array.from({ length: 30 }, (_, i) =>
      p.acquire([i, i + 1], never).then((lease) => {
        served.push(`short${i}`);
        lease.release();
      }),
    );
    holder.release();
    await Promise.all([cold, ...shorts]);
    expect(served.indexOf("cold")).toBeLessThanOrEqual(8);
    expect(p.free).toBe(1);
  });
});
