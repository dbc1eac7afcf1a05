import { describe, expect, it } from "vitest";
import type { HeldPrefix } from "../../src/routing/fleet-snapshot.js";
import { RoutedPrefixes, deepestHeld, routeCandidates } from "../../src/routing/route-candidates.js";
import { fleet, model, node, offered } from "./fleet-fixture.js";

const held = (entries: Record<string, HeldPrefix>): ReadonlyMap<string, HeldPrefix> =>
  new Map(Object.entries(entries));
const CHAIN = ["h", "m1", "m2", "m3"];

describe("routeCandidates", () => {
  it("lists the nodes with the model loaded, with their sequences, load and what they hold of the prompt", () => {
    const snapshot = fleet(
      node("a", 0, [
        model("x", {
          slots: 4,
          inFlight: 2,
          queued: 1,
          prefixes: held({ m2: { tokens: 900, where: "ram" } }),
        }),
      ]),
      node("b", 0, [model("x", { prefixes: held({ h: { tokens: 100, where: "sequence" } }) })]),
      node("c", 0, [offered("x")]),
      node("d", 0, [model("x")], { state: "down" }),
      node("e", 0, [model("x", { allowed: false })]),
    );
    const candidates = routeCandidates(snapshot, {
      modelId: "x",
      preferredNodes: ["b"],
      prefix: { chain: CHAIN, tokens: 1200 },
      waitingAhead: new Map([["a", 2]]),
    });
    expect(candidates).toEqual([
      {
        node: "a",
        health: "up",
        slots: 4,
        // The node's in-flight count includes the one queued there.
        busy: 2,
        waitingAhead: 2,
        reuseTokens: 900,
        reuseSource: "ram",
        // Without per-element sizes: the prompt's estimate minus what the node holds.
        leftTokens: 300,
        prefillMsPerToken: null,
        preferred: false,
      },
      expect.objectContaining({ node: "b", slots: Infinity, reuseTokens: 100, preferred: true }),
    ]);
    expect(routeCandidates(snapshot, { modelId: "x", allowedNodes: ["b"], prefix: null })).toEqual([
      expect.objectContaining({ node: "b", reuseTokens: 0, reuseSource: null }),
    ]);
  });

  it("counts what this gateway sent to a node recently until the node's report shows more", () => {
    const memory = new RoutedPrefixes();
    memory.remember("x", "b", { chain: ["h", "m1", "m2"], tokens: 700 }, 1000);
    const snapshot = fleet(
      node("a", 0, [model("x", { prefixes: held({ m1: { tokens: 500, where: "sequence" } }) })]),
      node("b", 0, [model("x")]),
    );
    const at = (now: number) =>
      routeCandidates(snapshot, {
        modelId: "x",
        prefix: { chain: CHAIN, tokens: 900 },
        routed: { memory, now, ttlMs: 5000 },
      }).map((c) => [c.node, c.reuseTokens, c.reuseSource]);
    expect(at(2000)).toEqual([
      ["a", 500, "sequence"],
      ["b", 700, "routed"],
    ]);
    // A remembered route is a hint with a short life.
    expect(at(7000)).toEqual([
      ["a", 500, "sequence"],
      ["b", 0, null],
    ]);
    expect(memory.size).toBe(0);
  });

  it("estimates the prompt left after a node's match from the messages after it", () => {
    const snapshot = fleet(
      node("a", 0, [model("x", { prefixes: held({ m2: { tokens: 8000, where: "ram" } }) })]),
      node("b", 0, [model("x")]),
    );
    const candidates = routeCandidates(snapshot, {
      modelId: "x",
      // The body's size over-counts the prompt (16k); what follows m2 is small either way.
      prefix: { chain: CHAIN, tokens: 16_000, leftTokens: [15_000, 14_000, 40, 10] },
    });
    expect(candidates.map((c) => [c.node, c.leftTokens])).toEqual([
      ["a", 40],
      ["b", 16_000],
    ]);
  });
});

describe("deepestHeld and RoutedPrefixes", () => {
  it("prefers the deeper element, and the node's report over the memory at the same depth", () => {
    const report = held({ m1: { tokens: 400, where: "disk" }, m3: { tokens: 1000, where: "sequence" } });
    expect(deepestHeld(CHAIN, report, () => undefined)).toEqual({
      tokens: 1000,
      source: "sequence",
      index: 3,
    });
    expect(deepestHeld(CHAIN, report, (fp) => (fp === "m3" ? 900 : undefined))).toEqual({
      tokens: 1000,
      source: "sequence",
      index: 3,
    });
    expect(deepestHeld(["h", "m1", "zz"], report, (fp) => (fp === "zz" ? 450 : undefined))).toEqual({
      tokens: 450,
      source: "routed",
      index: 2,
    });
    expect(deepestHeld(["q"], null, () => undefined)).toBeNull();
    expect(deepestHeld(["q"], null, null)).toBeNull();
  });

  it("keeps at most its limit of remembered routes, the oldest dropped first", () => {
    const memory = new RoutedPrefixes(2);
    for (const fp of ["a", "b", "c"]) memory.remember("x", "n", { chain: [fp], tokens: 1 }, 0);
    expect(memory.size).toBe(2);
    const sent = memory.sentTo("x", "n", 0, 10);
    expect(sent?.("a")).toBeUndefined();
    expect(sent?.("c")).toBe(1);
    expect(memory.sentTo("x", "other", 0, 10)).toBeNull();
  });
});
