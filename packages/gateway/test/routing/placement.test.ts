import { describe, expect, it } from "vitest";
import type { EvictionStrategy, FleetSnapshot, PlacementRequest } from "../../src/routing/fleet-snapshot.js";
import { planPlacement, planSwap } from "../../src/routing/placement.js";
import { fleet, GiB, MiB, minutesAgo, model, node, offered, request, summarize } from "./fleet-fixture.js";

interface Case {
  name: string;
  snapshot: FleetSnapshot;
  request: PlacementRequest;
  strategy?: EvictionStrategy;
  expected: string;
}

const fitCases: Case[] = [
  {
    name: "loads where it fits",
    snapshot: fleet(node("a", 8 * GiB, [offered("x")])),
    request: request("x", 4 * GiB),
    expected: "load a",
  },
  {
    name: "prefers a node where it fits without eviction over a preferred node that needs eviction",
    snapshot: fleet(node("a", 1 * GiB, [offered("x"), model("old")]), node("b", 5 * GiB, [offered("x")])),
    request: request("x", 4 * GiB, { preferredNodes: ["a"] }),
    expected: "load b",
  },
  {
    name: "among fitting nodes, preferred first",
    snapshot: fleet(node("a", 10 * GiB, [offered("x")]), node("b", 5 * GiB, [offered("x")])),
    request: request("x", 4 * GiB, { preferredNodes: ["b"] }),
    expected: "load b",
  },
  {
    name: "among fitting nodes, most free memory",
    snapshot: fleet(node("a", 5 * GiB, [offered("x")]), node("b", 10 * GiB, [offered("x")])),
    request: request("x", 4 * GiB),
    expected: "load b",
  },
  {
    name: "equal free memory breaks the tie by name",
    snapshot: fleet(node("b", 5 * GiB, [offered("x")]), node("a", 5 * GiB, [offered("x")])),
    request: request("x", 4 * GiB),
    expected: "load a",
  },
  {
    name: "free minus both headrooms exactly equal to the need fits",
    snapshot: fleet(node("a", 6 * GiB, [offered("x"), model("old")], { headroom: 1 * GiB })),
    request: request("x", 4 * GiB, { extraHeadroom: 1 * GiB }),
    expected: "load a",
  },
  {
    name: "headrooms turn a fit into an eviction",
    snapshot: fleet(node("a", 6 * GiB, [offered("x"), model("old")], { headroom: 1 * GiB })),
    request: request("x", 4 * GiB, { extraHeadroom: 2 * GiB }),
    expected: "load a -old",
  },
  {
    name: "without a profile size each node's own estimate counts",
    snapshot: fleet(node("a", 5 * GiB, [offered("x", 6 * GiB)]), node("b", 4 * GiB, [offered("x", 3 * GiB)])),
    request: request("x", undefined),
    expected: "load b",
  },
  {
    name: "a model already loaded on an eligible node is a no-op load there",
    snapshot: fleet(node("a", 0, [model("x")]), node("b", 20 * GiB, [offered("x")])),
    request: request("x", 4 * GiB),
    expected: "load a",
  },
];

const evictionCases: Case[] = [
  {
    name: "lru evicts the least recently used",
    snapshot: fleet(
      node("a", 0, [
        offered("x"),
        model("recent", { lastUsed: minutesAgo(1), priority: 0 }),
        model("stale", { lastUsed: minutesAgo(90), priority: 10 }),
      ]),
    ),
    request: request("x", 1 * GiB),
    strategy: "lru",
    expected: "load a -stale",
  },
  {
    name: "priority evicts the lowest priority in the same snapshot",
    snapshot: fleet(
      node("a", 0, [
        offered("x"),
        model("recent", { lastUsed: minutesAgo(1), priority: 0 }),
        model("stale", { lastUsed: minutesAgo(90), priority: 10 }),
      ]),
    ),
    request: request("x", 1 * GiB),
    strategy: "priority",
    expected: "load a -recent",
  },
  {
    name: "lru treats never used as oldest",
    snapshot: fleet(
      node("a", 0, [
        offered("x"),
        model("old", { lastUsed: minutesAgo(600) }),
        model("never", { lastUsed: null }),
      ]),
    ),
    request: request("x", 1 * GiB),
    expected: "load a -never",
  },
  {
    name: "priority breaks ties by lru",
    snapshot: fleet(
      node("a", 0, [
        offered("x"),
        model("p1-new", { priority: 1, lastUsed: minutesAgo(1) }),
        model("p1-old", { priority: 1, lastUsed: minutesAgo(50) }),
        model("p2-older", { priority: 2, lastUsed: minutesAgo(500) }),
      ]),
    ),
    request: request("x", 1 * GiB),
    strategy: "priority",
    expected: "load a -p1-old",
  },
  {
    name: "a pinned model survives even when oldest",
    snapshot: fleet(
      node("a", 0, [offered("x"), model("pinned", { pinned: true, lastUsed: null }), model("next")]),
    ),
    request: request("x", 1 * GiB),
    expected: "load a -next",
  },
  {
    name: "a model with requests in flight survives",
    snapshot: fleet(
      node("a", 0, [offered("x"), model("busy", { inFlight: 1, lastUsed: null }), model("next")]),
    ),
    request: request("x", 1 * GiB),
    expected: "load a -next",
  },
  {
    name: "a model with queued requests survives",
    snapshot: fleet(
      node("a", 0, [offered("x"), model("queued", { queued: 2, lastUsed: null }), model("next")]),
    ),
    request: request("x", 1 * GiB),
    expected: "load a -next",
  },
  {
    name: "loading, converting and unloading models are resident and survive",
    snapshot: fleet(
      node("a", 0, [
        offered("x"),
        model("loading", { state: "loading", lastUsed: null }),
        model("converting", { state: "converting", lastUsed: null }),
        model("unloading", { state: "unloading", lastUsed: null }),
        model("next"),
      ]),
    ),
    request: request("x", 1 * GiB),
    expected: "load a -next",
  },
  {
    name: "a model of unknown size is not evicted: it cannot be shown to make room",
    snapshot: fleet(
      node("a", 0, [offered("x"), model("unknown", { memoryEstimate: null, lastUsed: null }), model("next")]),
    ),
    request: request("x", 1 * GiB),
    expected: "load a -next",
  },
  {
    name: "evicts only as many as needed, oldest first",
    snapshot: fleet(
      node("a", 0, [
        offered("x"),
        model("m1", { memoryEstimate: 2 * GiB, lastUsed: minutesAgo(30) }),
        model("m2", { memoryEstimate: 2 * GiB, lastUsed: minutesAgo(20) }),
        model("m3", { memoryEstimate: 2 * GiB, lastUsed: minutesAgo(10) }),
      ]),
    ),
    request: request("x", 3 * GiB),
    expected: "load a -m1 -m2",
  },
  {
    name: "drops an earlier victim made unnecessary by a larger later one",
    snapshot: fleet(
      node("a", 0, [
        offered("x"),
        model("small-old", { memoryEstimate: 1 * GiB, lastUsed: minutesAgo(30) }),
        model("big", { memoryEstimate: 4 * GiB, lastUsed: minutesAgo(20) }),
      ]),
    ),
    request: request("x", 3 * GiB),
    expected: "load a -big",
  },
  {
    name: "free memory counts toward the need, so fewer evictions",
    snapshot: fleet(
      node("a", 2 * GiB, [offered("x"), model("m1", { lastUsed: minutesAgo(9) }), model("m2")]),
    ),
    request: request("x", 3 * GiB),
    expected: "load a -m2",
  },
  {
    name: "picks the node needing fewest evictions",
    snapshot: fleet(
      node("a", 0, [offered("x"), model("a1", { lastUsed: null }), model("a2", { lastUsed: null })]),
      node("b", 0, [offered("x"), model("b1", { memoryEstimate: 2 * GiB, lastUsed: minutesAgo(1) })]),
    ),
    request: request("x", 2 * GiB),
    expected: "load b -b1",
  },
  {
    name: "a preferred node beats fewer evictions",
    snapshot: fleet(
      node("a", 0, [offered("x"), model("a1"), model("a2")]),
      node("b", 0, [offered("x"), model("b1", { memoryEstimate: 2 * GiB })]),
    ),
    request: request("x", 2 * GiB, { preferredNodes: ["a"] }),
    expected: "load a -a1 -a2",
  },
  {
    name: "lru: equal counts go to the node with the colder victim",
    snapshot: fleet(
      node("a", 0, [offered("x"), model("a1", { lastUsed: minutesAgo(5), priority: 0 })]),
      node("b", 0, [offered("x"), model("b1", { lastUsed: minutesAgo(120), priority: 9 })]),
    ),
    request: request("x", 1 * GiB),
    strategy: "lru",
    expected: "load b -b1",
  },
  {
    name: "priority: equal counts go to the node with the lower-priority victim",
    snapshot: fleet(
      node("a", 0, [offered("x"), model("a1", { lastUsed: minutesAgo(5), priority: 0 })]),
      node("b", 0, [offered("x"), model("b1", { lastUsed: minutesAgo(120), priority: 9 })]),
    ),
    request: request("x", 1 * GiB),
    strategy: "priority",
    expected: "load a -a1",
  },
  {
    name: "equal victims break the tie by name",
    snapshot: fleet(node("b", 0, [offered("x"), model("v")]), node("a", 0, [offered("x"), model("v")])),
    request: request("x", 1 * GiB),
    expected: "load a -v",
  },
];

const eligibilityCases: Case[] = [
  {
    name: "only allowed nodes",
    snapshot: fleet(node("a", 20 * GiB, [offered("x")]), node("b", 0, [offered("x"), model("old")])),
    request: request("x", 1 * GiB, { allowedNodes: ["b"] }),
    expected: "load b -old",
  },
  {
    name: "a node whose profile entry disallows the model is skipped",
    snapshot: fleet(
      node("a", 20 * GiB, [{ ...offered("x"), allowed: false }]),
      node("b", 0, [offered("x"), model("old")]),
    ),
    request: request("x", 1 * GiB),
    expected: "load b -old",
  },
  {
    name: "a node that does not list the model cannot load it",
    snapshot: fleet(node("a", 20 * GiB, []), node("b", 0, [offered("x"), model("old")])),
    request: request("x", 1 * GiB),
    expected: "load b -old",
  },
  {
    name: "down nodes are skipped",
    snapshot: fleet(
      node("a", 20 * GiB, [offered("x")], { state: "down" }),
      node("b", 0, [offered("x"), model("old")]),
    ),
    request: request("x", 1 * GiB),
    expected: "load b -old",
  },
  {
    name: "an up node that needs eviction beats a degraded node with room",
    snapshot: fleet(
      node("a", 20 * GiB, [offered("x")], { state: "degraded" }),
      node("b", 0, [offered("x"), model("old")]),
    ),
    request: request("x", 1 * GiB),
    expected: "load b -old",
  },
  {
    name: "a degraded node is used when no up node can take it",
    snapshot: fleet(
      node("a", 20 * GiB, [offered("x")], { state: "degraded" }),
      node("b", 0, [offered("x"), model("pinned", { pinned: true })]),
    ),
    request: request("x", 1 * GiB),
    expected: "load a",
  },
  {
    name: "waits for a load already running on an eligible node",
    snapshot: fleet(node("a", 0, [model("x", { state: "loading" })]), node("b", 20 * GiB, [offered("x")])),
    request: request("x", 1 * GiB),
    expected: "wait a",
  },
  {
    name: "waits for a conversion already running",
    snapshot: fleet(node("a", 0, [model("x", { state: "converting" })]), node("b", 20 * GiB, [offered("x")])),
    request: request("x", 1 * GiB),
    expected: "wait a",
  },
  {
    name: "a load on a down node is not waited for",
    snapshot: fleet(
      node("a", 0, [model("x", { state: "loading" })], { state: "down" }),
      node("b", 20 * GiB, [offered("x")]),
    ),
    request: request("x", 1 * GiB),
    expected: "load b",
  },
  {
    name: "a load on a node the model may not use is not waited for",
    snapshot: fleet(node("a", 0, [model("x", { state: "loading" })]), node("b", 20 * GiB, [offered("x")])),
    request: request("x", 1 * GiB, { allowedNodes: ["b"] }),
    expected: "load b",
  },
  {
    name: "an unloading copy is neither waited for nor counted as free",
    snapshot: fleet(node("a", 0, [model("x", { state: "unloading" })]), node("b", 2 * GiB, [offered("x")])),
    request: request("x", 1 * GiB),
    expected: "load b",
  },
];

describe("planPlacement", () => {
  it.each([...fitCases, ...evictionCases, ...eligibilityCases])("$name", (c) => {
    expect(summarize(planPlacement(c.snapshot, c.request, c.strategy ?? "lru"))).toBe(c.expected);
  });

  it("explains evictions by the strategy, with how long ago each model was used", () => {
    const snapshot = fleet(
      node("a", 0, [
        offered("x"),
        model("never", { lastUsed: null, priority: 5 }),
        model("stale", { lastUsed: minutesAgo(12), priority: 0 }),
      ]),
    );
    const lru = planPlacement(snapshot, request("x", 2 * GiB), "lru");
    expect(lru).toEqual({
      kind: "load",
      node: "a",
      evict: [
        { node: "a", modelId: "never", reason: "lru: never used" },
        { node: "a", modelId: "stale", reason: "lru: last used 12m ago" },
      ],
      need: 2 * GiB,
      reason: "evicting 2 cold models (never, stale) on a frees 2 GiB for model x (needs 2 GiB, 0 B free)",
    });
    const priority = planPlacement(snapshot, request("x", 1 * GiB), "priority");
    expect(priority).toMatchObject({
      evict: [{ modelId: "stale", reason: "priority: priority 0, last used 12m ago" }],
    });
  });

  it("says why it chose a node that fits", () => {
    const plan = planPlacement(fleet(node("a", 6 * GiB, [offered("x")])), request("x", 1536 * MiB), "lru");
    expect(plan.reason).toBe("model x fits on a: 6 GiB free after headroom, needs 1.5 GiB");
  });

  it("says when a degraded node is a last resort", () => {
    const plan = planPlacement(
      fleet(node("a", 6 * GiB, [offered("x")], { state: "degraded" })),
      request("x", 1 * GiB),
      "lru",
    );
    expect(plan.reason).toMatch(/degraded: no up node can take it/);
  });

  it("says what the load takes on the chosen node: the profile's size, else that node's own estimate", () => {
    const snapshot = fleet(
      node("a", 5 * GiB, [offered("x", 6 * GiB)]),
      node("b", 4 * GiB, [offered("x", 3 * GiB)]),
    );
    expect(planPlacement(snapshot, request("x", undefined), "lru")).toMatchObject({
      node: "b",
      need: 3 * GiB,
    });
    expect(planPlacement(snapshot, request("x", 2 * GiB), "lru")).toMatchObject({ node: "a", need: 2 * GiB });
  });

  it("waits with a reason naming the node", () => {
    const plan = planPlacement(
      fleet(node("a", 0, [model("x", { state: "loading" })])),
      request("x", 1 * GiB),
      "lru",
    );
    expect(plan).toEqual({
      kind: "wait",
      node: "a",
      reason: "model x is already loading on a; waiting for it",
    });
  });
});

describe("planPlacement no_fit", () => {
  it("reports the need and the largest space any node could free", () => {
    const snapshot = fleet(
      node("a", 100 * MiB, [offered("x"), model("pinned", { pinned: true, memoryEstimate: 4 * GiB })]),
      node("b", 300 * MiB, [
        offered("x"),
        model("cold", { memoryEstimate: 500 * MiB }),
        model("busy", { inFlight: 3, memoryEstimate: 2 * GiB }),
      ]),
      node("c", 10 * GiB, [offered("x")], { state: "down" }),
    );
    expect(planPlacement(snapshot, request("x", 1229 * MiB), "lru")).toEqual({
      kind: "no_fit",
      needed: 1229 * MiB,
      largestFree: 800 * MiB,
      reason:
        "model x needs 1.2 GiB; the largest space any node could free is 800 MiB (node b: 300 MiB free + 500 MiB evictable)",
    });
  });

  it("counts degraded nodes when looking for the largest space", () => {
    const snapshot = fleet(
      node("a", 1 * GiB, [offered("x")]),
      node("b", 2 * GiB, [offered("x"), model("cold")], { state: "degraded" }),
    );
    expect(planPlacement(snapshot, request("x", 8 * GiB), "priority")).toMatchObject({
      kind: "no_fit",
      needed: 8 * GiB,
      largestFree: 3 * GiB,
    });
  });

  it("subtracts headrooms from what a node could free", () => {
    const snapshot = fleet(node("a", 2 * GiB, [offered("x"), model("cold")], { headroom: 512 * MiB }));
    expect(planPlacement(snapshot, request("x", 8 * GiB, { extraHeadroom: 512 * MiB }), "lru")).toMatchObject(
      {
        largestFree: 2 * GiB,
      },
    );
  });

  const reasons: { name: string; snapshot: FleetSnapshot; request: PlacementRequest; reason: string }[] = [
    {
      name: "no node offers the model",
      snapshot: fleet(node("a", 8 * GiB, [])),
      request: request("x", 1 * GiB),
      reason: "model x is not offered by any node",
    },
    {
      name: "the model may not use any node that offers it",
      snapshot: fleet(node("a", 8 * GiB, [offered("x")]), node("b", 8 * GiB, [offered("x")])),
      request: request("x", 1 * GiB, { allowedNodes: ["c"] }),
      reason: "model x is offered only by a, b, none of which it may use",
    },
    {
      name: "every node that may serve it is down",
      snapshot: fleet(node("a", 8 * GiB, [offered("x")], { state: "down" })),
      request: request("x", 1 * GiB),
      reason: "every node that may serve model x is down (a)",
    },
    {
      name: "nobody knows its size",
      snapshot: fleet(node("a", 8 * GiB, [offered("x", null)])),
      request: request("x", undefined),
      reason: "model x has no memory estimate on a and no size in its profile",
    },
  ];
  it.each(reasons)("says so when $name", (c) => {
    expect(planPlacement(c.snapshot, c.request, "lru")).toEqual({
      kind: "no_fit",
      needed: c.request.requiredMemory ?? 0,
      largestFree: 0,
      reason: c.reason,
    });
  });

  it("asks a node that lists the model as failed (a broken file, no estimate) to load it, so its reason reaches the client", () => {
    const broken = model("x", { state: "failed", memoryEstimate: null, lastUsed: null });
    expect(planPlacement(fleet(node("a", 8 * GiB, [broken])), request("x", undefined), "lru")).toEqual({
      kind: "load",
      node: "a",
      evict: [],
      need: 0,
      reason: "model x is failed on a; its load says why",
    });
    // A healthy copy elsewhere with an estimate is still preferred.
    const both = fleet(node("a", 8 * GiB, [broken]), node("b", 8 * GiB, [offered("x")]));
    expect(planPlacement(both, request("x", undefined), "lru")).toMatchObject({ kind: "load", node: "b" });
  });

  it("never plans evictions of pinned, busy or loading models, however much they would free", () => {
    const snapshot = fleet(
      node("a", 0, [
        offered("x"),
        model("pinned", { pinned: true, memoryEstimate: 8 * GiB }),
        model("busy", { inFlight: 1, memoryEstimate: 8 * GiB }),
        model("loading", { state: "loading", memoryEstimate: 8 * GiB }),
      ]),
    );
    expect(summarize(planPlacement(snapshot, request("x", 1 * GiB), "priority"))).toBe("no_fit");
  });
});

describe("planSwap (when planPlacement finds no fit)", () => {
  it("names the busy models to serve first, the least busy first, and says why", () => {
    const snapshot = fleet(
      node("a", 512 * MiB, [
        offered("x"),
        model("queued", { inFlight: 1, waiting: 3 }),
        model("running", { inFlight: 1 }),
        model("pinned", { pinned: true, inFlight: 1 }),
      ]),
    );
    expect(planSwap(snapshot, request("x", 1 * GiB))).toEqual({
      node: "a",
      busy: ["running"],
      reason:
        "x waits for running on a to be served first (running: 1 in flight, 0 waiting); it needs 1 GiB there, " +
        "512 MiB free, and loads once it is idle (serve what is loaded before swapping)",
    });
  });

  it("waits for loading and unloading models, and counts a copy of its own being evicted", () => {
    const snapshot = fleet(
      node("a", 0, [
        model("x", { state: "unloading", memoryEstimate: 512 * MiB }),
        model("incoming", { state: "loading", memoryEstimate: 512 * MiB }),
      ]),
    );
    expect(planSwap(snapshot, request("x", 1 * GiB))).toMatchObject({
      node: "a",
      busy: ["incoming"],
      reason: expect.stringMatching(/^x waits for incoming on a to be served first \(incoming: loading\)/),
    });
  });

  it("prefers the node with fewer requests to serve first", () => {
    const snapshot = fleet(
      node("a", 0, [offered("x"), model("busy", { inFlight: 4 })]),
      node("b", 0, [offered("x"), model("busy", { inFlight: 1, queued: 1 })]),
    );
    expect(planSwap(snapshot, request("x", 1 * GiB))?.node).toBe("b");
  });

  it("is null when pinned models, headroom or the node's size leave no room even once all are idle", () => {
    const pinned = fleet(node("a", 0, [offered("x"), model("pinned", { pinned: true, inFlight: 1 })]));
    expect(planSwap(pinned, request("x", 1 * GiB))).toBeNull();
    const small = fleet(node("a", 0, [offered("x"), model("busy", { inFlight: 1 })]));
    expect(planSwap(small, request("x", 2 * GiB))).toBeNull();
    expect(planSwap(small, request("x", 1 * GiB, { extraHeadroom: 1 }))).toBeNull();
    expect(planSwap(small, request("x", 1 * GiB, { allowedNodes: ["b"] }))).toBeNull();
  });
});
