import { describe, expect, it } from "vitest";
import { planDefrag, type DefragMove } from "../../src/routing/defrag-plan.js";
import type { EvictionStrategy, FleetSnapshot, PlacementRequest } from "../../src/routing/fleet-snapshot.js";
import { spareMemory } from "../../src/routing/policy-terms.js";
import { fleet, GiB, minutesAgo, model, node, offered, request } from "./fleet-fixture.js";

interface Case {
  name: string;
  snapshot: FleetSnapshot;
  pending?: PlacementRequest;
  strategy?: EvictionStrategy;
  expected: string[];
}

const brief = (moves: readonly DefragMove[]): string[] => moves.map((m) => `${m.modelId} ${m.from}->${m.to}`);

const big = (required = 6 * GiB, overrides: Partial<PlacementRequest> = {}): PlacementRequest =>
  request("big", required, overrides);

const pendingCases: Case[] = [
  {
    name: "moves a small cold model so the large one fits",
    snapshot: fleet(
      node("a", 4 * GiB, [offered("big"), model("small", { memoryEstimate: 2 * GiB })]),
      node("b", 3 * GiB, [offered("small", 2 * GiB)]),
    ),
    pending: big(),
    expected: ["small a->b"],
  },
  {
    name: "nothing to do when it already fits somewhere",
    snapshot: fleet(
      node("a", 4 * GiB, [offered("big"), model("small", { memoryEstimate: 2 * GiB })]),
      node("b", 8 * GiB, [offered("big"), offered("small", 2 * GiB)]),
    ),
    pending: big(),
    expected: [],
  },
  {
    name: "never moves a pinned model",
    snapshot: fleet(
      node("a", 4 * GiB, [offered("big"), model("small", { memoryEstimate: 2 * GiB, pinned: true })]),
      node("b", 3 * GiB, [offered("small", 2 * GiB)]),
    ),
    pending: big(),
    expected: [],
  },
  {
    name: "never moves a busy model",
    snapshot: fleet(
      node("a", 4 * GiB, [offered("big"), model("small", { memoryEstimate: 2 * GiB, inFlight: 1 })]),
      node("b", 3 * GiB, [offered("small", 2 * GiB)]),
    ),
    pending: big(),
    expected: [],
  },
  {
    name: "never moves a loading model",
    snapshot: fleet(
      node("a", 4 * GiB, [offered("big"), model("small", { memoryEstimate: 2 * GiB, state: "loading" })]),
      node("b", 3 * GiB, [offered("small", 2 * GiB)]),
    ),
    pending: big(),
    expected: [],
  },
  {
    name: "moves the idle one, not the busy one",
    snapshot: fleet(
      node("a", 4 * GiB, [
        offered("big"),
        model("busy", { memoryEstimate: 2 * GiB, inFlight: 2, lastUsed: null }),
        model("idle", { memoryEstimate: 2 * GiB }),
      ]),
      node("b", 3 * GiB, [offered("busy", 2 * GiB), offered("idle", 2 * GiB)]),
    ),
    pending: big(),
    expected: ["idle a->b"],
  },
  {
    name: "never a move that does not fit without eviction",
    snapshot: fleet(
      node("a", 4 * GiB, [offered("big"), model("small", { memoryEstimate: 2 * GiB })]),
      node("b", 1 * GiB, [offered("small", 2 * GiB), model("other")]),
    ),
    pending: big(),
    expected: [],
  },
  {
    name: "the destination's headroom counts",
    snapshot: fleet(
      node("a", 4 * GiB, [offered("big"), model("small", { memoryEstimate: 2 * GiB })]),
      node("b", 3 * GiB, [offered("small", 2 * GiB)], { headroom: 1.5 * GiB }),
    ),
    pending: big(),
    expected: [],
  },
  {
    name: "only to a node that lists the model",
    snapshot: fleet(
      node("a", 4 * GiB, [offered("big"), model("small", { memoryEstimate: 2 * GiB })]),
      node("b", 8 * GiB, []),
    ),
    pending: big(),
    expected: [],
  },
  {
    name: "only to a node the moved model's profile allows",
    snapshot: fleet(
      node("a", 4 * GiB, [offered("big"), model("small", { memoryEstimate: 2 * GiB })]),
      node("b", 8 * GiB, [{ ...offered("small", 2 * GiB), allowed: false }]),
    ),
    pending: big(),
    expected: [],
  },
  {
    name: "only to up nodes",
    snapshot: fleet(
      node("a", 4 * GiB, [offered("big"), model("small", { memoryEstimate: 2 * GiB })]),
      node("b", 8 * GiB, [offered("small", 2 * GiB)], { state: "degraded" }),
      node("c", 8 * GiB, [offered("small", 2 * GiB)], { state: "down" }),
    ),
    pending: big(),
    expected: [],
  },
  {
    name: "not to a node where the model failed before",
    snapshot: fleet(
      node("a", 4 * GiB, [offered("big"), model("small", { memoryEstimate: 2 * GiB })]),
      node("b", 8 * GiB, [model("small", { state: "failed" })]),
    ),
    pending: big(),
    expected: [],
  },
  {
    name: "uses the destination's own estimate",
    snapshot: fleet(
      node("a", 4 * GiB, [offered("big"), model("small", { memoryEstimate: 2 * GiB })]),
      node("b", 3 * GiB, [offered("small", 4 * GiB)]),
    ),
    pending: big(),
    expected: [],
  },
  {
    name: "a copy already loaded elsewhere costs nothing to move to",
    snapshot: fleet(
      node("a", 4 * GiB, [offered("big"), model("dup", { memoryEstimate: 2 * GiB })]),
      node("b", 0, [model("dup", { memoryEstimate: 2 * GiB })]),
    ),
    pending: big(),
    expected: ["dup a->b"],
  },
  {
    name: "the fewest moves",
    snapshot: fleet(
      node("a", 3 * GiB, [
        offered("big"),
        model("s1", { memoryEstimate: 1 * GiB, lastUsed: null }),
        model("s2", { memoryEstimate: 1 * GiB, lastUsed: null }),
        model("s3", { memoryEstimate: 1 * GiB, lastUsed: null }),
        model("m", { memoryEstimate: 3 * GiB }),
      ]),
      node("b", 8 * GiB, [
        offered("s1", 1 * GiB),
        offered("s2", 1 * GiB),
        offered("s3", 1 * GiB),
        offered("m", 3 * GiB),
      ]),
    ),
    pending: big(),
    expected: ["m a->b"],
  },
  {
    name: "the smallest sufficient move",
    snapshot: fleet(
      node("a", 5 * GiB, [
        offered("big"),
        model("large", { memoryEstimate: 4 * GiB, lastUsed: null }),
        model("small", { memoryEstimate: 1 * GiB }),
      ]),
      node("b", 8 * GiB, [offered("large", 4 * GiB), offered("small", 2 * GiB)]),
    ),
    pending: big(),
    expected: ["small a->b"],
  },
  {
    name: "spreads moves over nodes when one cannot take them all, biggest into the tightest fit",
    snapshot: fleet(
      node("a", 2 * GiB, [
        offered("big"),
        model("m2", { memoryEstimate: 2 * GiB }),
        model("m3", { memoryEstimate: 3 * GiB }),
      ]),
      node("b", 3 * GiB, [offered("m2", 2 * GiB), offered("m3", 3 * GiB)]),
      node("c", 2 * GiB, [offered("m2", 2 * GiB), offered("m3", 3 * GiB)]),
      node("d", 9 * GiB, [model("other", { pinned: true })]),
    ),
    pending: big(7 * GiB),
    expected: ["m3 a->b", "m2 a->c"],
  },
  {
    name: "makes room on an allowed node only",
    snapshot: fleet(
      node("a", 4 * GiB, [offered("big"), model("sa", { memoryEstimate: 2 * GiB })]),
      node("b", 4 * GiB, [offered("big"), model("sb", { memoryEstimate: 2 * GiB })]),
      node("c", 3 * GiB, [offered("sa"), offered("sb", 2 * GiB)]),
    ),
    pending: big(6 * GiB, { allowedNodes: ["b"] }),
    expected: ["sb b->c"],
  },
  {
    name: "prefers making room on a preferred node",
    snapshot: fleet(
      node("a", 5 * GiB, [offered("big"), model("sa", { memoryEstimate: 1 * GiB })]),
      node("b", 4 * GiB, [offered("big"), model("sb", { memoryEstimate: 2 * GiB })]),
      node("c", 3 * GiB, [offered("sa"), offered("sb", 2 * GiB)]),
    ),
    pending: big(6 * GiB, { preferredNodes: ["b"] }),
    expected: ["sb b->c"],
  },
  {
    name: "otherwise the node needing the least work",
    snapshot: fleet(
      node("a", 5 * GiB, [offered("big"), model("sa", { memoryEstimate: 1 * GiB })]),
      node("b", 4 * GiB, [offered("big"), model("sb", { memoryEstimate: 2 * GiB })]),
      node("c", 3 * GiB, [offered("sa"), offered("sb", 2 * GiB)]),
    ),
    pending: big(6 * GiB),
    expected: ["sa a->c"],
  },
  {
    name: "consolidates instead when the model is already loading",
    snapshot: fleet(
      node("a", 4 * GiB, [offered("big"), model("small", { memoryEstimate: 2 * GiB })]),
      node("b", 3 * GiB, [offered("small", 2 * GiB)]),
      node("c", 0, [model("big", { state: "loading" })]),
    ),
    pending: big(),
    expected: ["small a->b"],
  },
  {
    name: "consolidates instead when the model is already loaded (it needed evictions last time)",
    snapshot: fleet(
      node("a", 4 * GiB, [offered("big", 6 * GiB), model("small", { memoryEstimate: 2 * GiB })]),
      node("b", 3 * GiB, [offered("small", 2 * GiB)]),
      node("c", 0, [model("big", { memoryEstimate: 6 * GiB })]),
    ),
    pending: big(),
    expected: ["small a->b"],
  },
  {
    name: "consolidates instead when moves alone cannot make it fit but the largest block can grow",
    snapshot: fleet(
      node("a", 2 * GiB, [offered("big"), model("small", { memoryEstimate: 2 * GiB })]),
      node("b", 3 * GiB, [offered("small", 2 * GiB)]),
    ),
    pending: big(),
    expected: ["small a->b"],
  },
  {
    name: "nothing when moves alone cannot make it fit",
    snapshot: fleet(
      node("a", 1 * GiB, [offered("big"), model("small", { memoryEstimate: 2 * GiB })]),
      node("b", 3 * GiB, [offered("small", 2 * GiB)]),
    ),
    pending: big(),
    expected: [],
  },
  {
    name: "strategy breaks ties between equal moves: lru moves the least recently used",
    snapshot: fleet(
      node("a", 4 * GiB, [
        offered("big"),
        model("old-important", { memoryEstimate: 2 * GiB, lastUsed: minutesAgo(100), priority: 9 }),
        model("new-minor", { memoryEstimate: 2 * GiB, lastUsed: minutesAgo(1), priority: 0 }),
      ]),
      node("b", 3 * GiB, [offered("old-important", 2 * GiB), offered("new-minor", 2 * GiB)]),
    ),
    pending: big(),
    strategy: "lru",
    expected: ["old-important a->b"],
  },
  {
    name: "strategy breaks ties between equal moves: priority moves the lowest priority",
    snapshot: fleet(
      node("a", 4 * GiB, [
        offered("big"),
        model("old-important", { memoryEstimate: 2 * GiB, lastUsed: minutesAgo(100), priority: 9 }),
        model("new-minor", { memoryEstimate: 2 * GiB, lastUsed: minutesAgo(1), priority: 0 }),
      ]),
      node("b", 3 * GiB, [offered("old-important", 2 * GiB), offered("new-minor", 2 * GiB)]),
    ),
    pending: big(),
    strategy: "priority",
    expected: ["new-minor a->b"],
  },
];

const consolidateCases: Case[] = [
  {
    name: "consolidates to grow the largest free block",
    snapshot: fleet(
      node("a", 3 * GiB, [model("s", { memoryEstimate: 2 * GiB })]),
      node("b", 4 * GiB, [offered("s", 2 * GiB), model("pinned", { pinned: true })]),
    ),
    expected: ["s a->b"],
  },
  {
    name: "nothing when no move grows the largest block",
    snapshot: fleet(
      node("a", 1 * GiB, [model("s", { memoryEstimate: 2 * GiB })]),
      node("b", 8 * GiB, [offered("s", 2 * GiB)]),
    ),
    expected: [],
  },
  {
    name: "nothing when every model is pinned or busy",
    snapshot: fleet(
      node("a", 3 * GiB, [model("p", { pinned: true }), model("q", { inFlight: 1 })]),
      node("b", 4 * GiB, [offered("p"), offered("q")]),
    ),
    expected: [],
  },
  {
    name: "empties the node that ends with the largest block",
    snapshot: fleet(
      node("a", 2 * GiB, [
        model("s1", { memoryEstimate: 1 * GiB }),
        model("s2", { memoryEstimate: 1 * GiB }),
      ]),
      node("b", 3 * GiB, [
        offered("s1", 1 * GiB),
        offered("s2", 1 * GiB),
        model("p", { pinned: true, memoryEstimate: 3 * GiB }),
      ]),
    ),
    expected: ["s1 a->b", "s2 a->b"],
  },
  {
    name: "consolidates on the node whose block then grows largest",
    snapshot: fleet(
      node("a", 2 * GiB, [model("s1", { memoryEstimate: 1 * GiB })]),
      node("b", 1 * GiB, [model("s2", { memoryEstimate: 3 * GiB })]),
      node("c", 3.5 * GiB, [offered("s1", 1 * GiB), offered("s2", 3 * GiB)]),
    ),
    expected: ["s2 b->c"],
  },
  {
    name: "nothing on an empty fleet",
    snapshot: fleet(),
    expected: [],
  },
];

describe("planDefrag", () => {
  it.each([...pendingCases, ...consolidateCases])("$name", (c) => {
    expect(brief(planDefrag(c.snapshot, c.strategy ?? "lru", c.pending))).toEqual(c.expected);
  });

  it("explains a move by the model it makes room for", () => {
    const snapshot = fleet(
      node("a", 4 * GiB, [offered("big"), model("small", { memoryEstimate: 2 * GiB })]),
      node("b", 3 * GiB, [offered("small", 2 * GiB)]),
    );
    expect(planDefrag(snapshot, "lru", big())).toEqual([
      {
        modelId: "small",
        from: "a",
        to: "b",
        reason: "moving cold model small (2 GiB) from a to b so model big (6 GiB) fits on a without eviction",
      },
    ]);
  });

  it("explains a consolidation by the block it grows", () => {
    const snapshot = fleet(
      node("a", 3 * GiB, [model("s", { memoryEstimate: 2 * GiB })]),
      node("b", 4 * GiB, [offered("s", 2 * GiB)]),
    );
    expect(planDefrag(snapshot, "lru")[0]?.reason).toBe(
      "moving cold model s (2 GiB) from a to b to grow the largest free block from 4 GiB to 5 GiB (on a)",
    );
  });

  it("honours the gateway headroom on destinations", () => {
    const snapshot = fleet(
      node("a", 4 * GiB, [offered("big"), model("small", { memoryEstimate: 2 * GiB })]),
      node("b", 3 * GiB, [offered("small", 2 * GiB)]),
    );
    expect(brief(planDefrag(snapshot, "lru", big(4 * GiB, { extraHeadroom: 0.5 * GiB })))).toEqual([
      "small a->b",
    ]);
    expect(planDefrag(snapshot, "lru", big(4 * GiB, { extraHeadroom: 1.5 * GiB }))).toEqual([]);
    expect(planDefrag(snapshot, "lru", undefined, 1.5 * GiB)).toEqual([]);
  });

  it("never overfills a destination or moves a pinned or busy model, across many fleets", () => {
    // A fixed grid of fleets stands in for a property test: no randomness, same cases every run.
    for (let seed = 0; seed < 200; seed++) {
      const pick = (n: number, salt: number): number => ((seed * 7919 + salt * 104_729) >>> 0) % n;
      const names = ["a", "b", "c"];
      const ids = ["m0", "m1", "m2", "m3", "m4"];
      const snapshot = fleet(
        ...names.map((name, n) =>
          node(
            name,
            pick(6, n) * GiB,
            ids.map((id, i) =>
              pick(3, n * 10 + i) === 0
                ? offered(id, (1 + pick(3, n * 20 + i)) * GiB)
                : model(id, {
                    memoryEstimate: (1 + pick(3, n * 30 + i)) * GiB,
                    pinned: pick(4, n * 40 + i) === 0,
                    inFlight: pick(4, n * 50 + i) === 0 ? 1 : 0,
                    lastUsed: minutesAgo(pick(100, n * 60 + i)),
                  }),
            ),
          ),
        ),
      );
      const pending = seed % 2 === 0 ? undefined : request("m0", (4 + pick(4, 99)) * GiB);
      const moves = planDefrag(snapshot, seed % 3 === 0 ? "priority" : "lru", pending);
      const spare = new Map(snapshot.nodes.map((n) => [n.name, spareMemory(n, 0)]));
      for (const move of moves) {
        const from = snapshot.nodes.find((n) => n.name === move.from);
        const to = snapshot.nodes.find((n) => n.name === move.to);
        const moved = from?.models.find((m) => m.id === move.modelId);
        const target = to?.models.find((m) => m.id === move.modelId);
        expect(moved).toMatchObject({ state: "loaded", pinned: false, inFlight: 0, queued: 0 });
        expect(target?.state === "loaded" || target?.state === "unloaded").toBe(true);
        const cost = target?.state === "loaded" ? 0 : (target?.memoryEstimate ?? 0);
        spare.set(move.to, (spare.get(move.to) ?? 0) - cost);
        expect(cost === 0 || (spare.get(move.to) ?? 0) >= 0).toBe(true);
      }
    }
  });
});
