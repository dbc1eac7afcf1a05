import fc from "fast-check";
import type { PriorityClass } from "@cortex/core";
import { describe, expect, it } from "vitest";
import { FairQueue } from "../../src/routing/fair-queue.js";

/** Serves everything in order, returning the items. */
function drain<T>(queue: FairQueue<T>): T[] {
  const served: T[] = [];
  for (;;) {
    const [next] = queue.inServiceOrder();
    if (!next) return served;
    queue.serve(next);
    served.push(next.item);
  }
}

describe("FairQueue", () => {
  it("serves higher classes first whatever the arrival order", () => {
    const queue = new FairQueue<string>();
    queue.push("low-1", "low", "k");
    queue.push("normal-1", "normal", "k");
    queue.push("low-2", "low", "k");
    queue.push("high-1", "high", "k");
    expect(drain(queue)).toEqual(["high-1", "normal-1", "low-1", "low-2"]);
  });

  it("does not let one key flooding a class starve another key", () => {
    const queue = new FairQueue<string>();
    for (let i = 1; i <= 10; i++) queue.push(`flood-${i}`, "normal", "flooder");
    const [first] = queue.inServiceOrder();
    if (first) queue.serve(first);
    queue.push("polite-1", "normal", "polite");
    queue.push("polite-2", "normal", "polite");
    expect(drain(queue).slice(0, 4)).toEqual(["flood-2", "polite-1", "flood-3", "polite-2"]);
  });

  it("is first in, first out within a key", () => {
    const queue = new FairQueue<number>();
    for (let i = 0; i < 5; i++) queue.push(i, "low", "k");
    expect(drain(queue)).toEqual([0, 1, 2, 3, 4]);
  });

  it("when full, a request served sooner displaces the one served last; a request served last is refused", () => {
    const queue = new FairQueue<string>();
    queue.push("low-a", "low", "a", 3);
    queue.push("low-b", "low", "a", 3);
    const high = queue.push("high", "high", "b", 3);
    expect(high.queued && high.displaced).toBeUndefined();
    expect(queue.push("low-c", "low", "a", 3)).toEqual({ queued: false });
    // Same class, another key: its first request is served before the flooder's second.
    const other = queue.push("low-other", "low", "c", 3);
    expect(other.queued && other.displaced?.item).toBe("low-b");
    const urgent = queue.push("high-2", "high", "b", 3);
    expect(urgent.queued && urgent.displaced?.item).toBe("low-other");
    expect(drain(queue)).toEqual(["high", "high-2", "low-a"]);
    expect(queue.size).toBe(0);
  });

  it("removes cancelled entries and counts what waits per class", () => {
    const queue = new FairQueue<string>();
    const a = queue.push("a", "high", "k");
    queue.push("b", "low", "k");
    expect(queue.sizes()).toEqual({ high: 1, normal: 0, low: 1 });
    if (a.queued) queue.remove(a.entry);
    if (a.queued) queue.remove(a.entry);
    expect(queue.size).toBe(1);
    expect(drain(queue)).toEqual(["b"]);
  });

  it("property: classes in rank order, FIFO per key, and backlogged keys take turns", () => {
    const classes: PriorityClass[] = ["high", "normal", "low"];
    fc.assert(
      fc.property(
        fc.array(fc.record({ priority: fc.constantFrom(...classes), flow: fc.constantFrom("a", "b", "c") }), {
          maxLength: 40,
        }),
        (arrivals) => {
          const queue = new FairQueue<{ priority: PriorityClass; flow: string; index: number }>();
          arrivals.forEach((arrival, index) =>
            queue.push({ ...arrival, index }, arrival.priority, arrival.flow),
          );
          const served = drain(queue);
          expect(served).toHaveLength(arrivals.length);
          const ranks = served.map((item) => classes.indexOf(item.priority));
          expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
          for (const priority of classes) {
            const inClass = served.filter((item) => item.priority === priority);
            for (const flow of ["a", "b", "c"]) {
              const indexes = inClass.filter((item) => item.flow === flow).map((item) => item.index);
              expect(indexes).toEqual([...indexes].sort((x, y) => x - y));
            }
            // All arrived before any was served: every prefix of the service is within one of even.
            const remaining = new Map<string, number>();
            for (const item of inClass) remaining.set(item.flow, (remaining.get(item.flow) ?? 0) + 1);
            const count = new Map<string, number>();
            for (const item of inClass) {
              count.set(item.flow, (count.get(item.flow) ?? 0) + 1);
              const backlogged = [...remaining].filter(([flow, total]) => (count.get(flow) ?? 0) < total);
              for (const [flow] of backlogged) {
                expect((count.get(item.flow) ?? 0) - (count.get(flow) ?? 0)).toBeLessThanOrEqual(1);
              }
            }
          }
        },
      ),
    );
  });
});
