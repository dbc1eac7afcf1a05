import { describe, expect, it } from "vitest";
import { chooseVictims, compareColdness } from "../../src/routing/eviction-policy.js";
import type { EvictionStrategy, ModelOnNode } from "../../src/routing/fleet-snapshot.js";
import { GiB, minutesAgo, model } from "./fleet-fixture.js";

const ids = (models: readonly ModelOnNode[] | null): string[] | null => models?.map((m) => m.id) ?? null;

describe("compareColdness", () => {
  const models = [
    model("hot-low", { lastUsed: minutesAgo(1), priority: 0 }),
    model("cold-high", { lastUsed: minutesAgo(100), priority: 9 }),
    model("never-mid", { lastUsed: null, priority: 5 }),
    model("cold-low", { lastUsed: minutesAgo(100), priority: 0 }),
  ];
  it.each<[EvictionStrategy, string[]]>([
    ["lru", ["never-mid", "cold-low", "cold-high", "hot-low"]],
    ["priority", ["cold-low", "hot-low", "never-mid", "cold-high"]],
  ])("%s orders coldest first", (strategy, expected) => {
    expect([...models].sort(compareColdness(strategy)).map((m) => m.id)).toEqual(expected);
  });

  it.each<EvictionStrategy>(["lru", "priority"])(
    "%s gives up a surplus replica before any model that would leave the fleet",
    (strategy) => {
      const replica = model("replica", { lastUsed: minutesAgo(1), priority: 9, surplus: true });
      expect([...models, replica].sort(compareColdness(strategy))[0]?.id).toBe("replica");
    },
  );

  it("keeps a model that requests wait for in the gateway's queue", () => {
    expect(ids(chooseVictims([model("waited", { waiting: 2 }), model("idle")], 1, "lru"))).toEqual(["idle"]);
    expect(chooseVictims([model("waited", { waiting: 2 })], 1, "lru")).toBeNull();
  });

  it("breaks full ties by id", () => {
    const twins = [model("b", { lastUsed: null }), model("a", { lastUsed: null })];
    expect(twins.sort(compareColdness("lru")).map((m) => m.id)).toEqual(["a", "b"]);
  });
});

describe("chooseVictims", () => {
  const cases: { name: string; models: ModelOnNode[]; deficit: number; expected: string[] | null }[] = [
    { name: "nothing needed", models: [model("a")], deficit: 0, expected: [] },
    { name: "nothing needed when already in surplus", models: [model("a")], deficit: -5, expected: [] },
    {
      name: "stops once enough is free",
      models: [
        model("a", { lastUsed: minutesAgo(3) }),
        model("b", { lastUsed: minutesAgo(2) }),
        model("c", { lastUsed: minutesAgo(1) }),
      ],
      deficit: 1.5 * GiB,
      expected: ["a", "b"],
    },
    {
      name: "follows the strategy order rather than evicting the hotter big one alone",
      models: [
        model("small", { lastUsed: minutesAgo(3), memoryEstimate: 1 * GiB }),
        model("mid", { lastUsed: minutesAgo(2), memoryEstimate: 2 * GiB }),
        model("big", { lastUsed: minutesAgo(1), memoryEstimate: 3 * GiB }),
      ],
      deficit: 3 * GiB,
      expected: ["small", "mid"],
    },
    {
      name: "prunes victims that a later one made unnecessary",
      models: [
        model("small", { lastUsed: minutesAgo(3), memoryEstimate: 1 * GiB }),
        model("big", { lastUsed: minutesAgo(1), memoryEstimate: 4 * GiB }),
      ],
      deficit: 3 * GiB,
      expected: ["big"],
    },
    {
      name: "null when even every cold model is not enough",
      models: [model("a"), model("pinned", { pinned: true, memoryEstimate: 10 * GiB })],
      deficit: 2 * GiB,
      expected: null,
    },
    {
      name: "skips busy, pinned, loading, unloading, unloaded and unknown-size models",
      models: [
        model("busy", { inFlight: 1, lastUsed: null }),
        model("queued", { queued: 1, lastUsed: null }),
        model("pinned", { pinned: true, lastUsed: null }),
        model("loading", { state: "loading", lastUsed: null }),
        model("unloading", { state: "unloading", lastUsed: null }),
        model("unloaded", { state: "unloaded", lastUsed: null }),
        model("unknown", { memoryEstimate: null, lastUsed: null }),
        model("ok"),
      ],
      deficit: 1 * GiB,
      expected: ["ok"],
    },
  ];
  it.each(cases)("$name", (c) => {
    expect(ids(chooseVictims(c.models, c.deficit, "lru"))).toEqual(c.expected);
  });
});
