import { CortexError } from "@cortex/core";
import { describe, expect, it } from "vitest";
import { SequencePool, sharedPrefixLength } from "../../src/engine/sequence-pool.js";

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
