import { describe, expect, it } from "vitest";
import type { FleetSnapshot } from "../../src/routing/fleet-snapshot.js";
import { pickLoadedNode } from "../../src/routing/pick-loaded-node.js";
import { fleet, model, node, offered } from "./fleet-fixture.js";

interface Case {
  name: string;
  snapshot: FleetSnapshot;
  allowed?: string[];
  preferred?: string[];
  expected: string | null;
}

const cases: Case[] = [
  {
    name: "the least busy node",
    snapshot: fleet(node("a", 0, [model("x", { inFlight: 3 })]), node("b", 0, [model("x", { inFlight: 1 })])),
    expected: "b",
  },
  {
    name: "requests queued on the node are part of its in-flight count, not added again",
    snapshot: fleet(
      node("a", 0, [model("x", { inFlight: 3, queued: 2 })]),
      node("b", 0, [model("x", { inFlight: 4 })]),
    ),
    expected: "a",
  },
  {
    name: "equally busy: preferred first",
    snapshot: fleet(node("a", 0, [model("x", { inFlight: 1 })]), node("b", 0, [model("x", { inFlight: 1 })])),
    preferred: ["b"],
    expected: "b",
  },
  {
    name: "equally busy, none preferred: by name",
    snapshot: fleet(node("b", 0, [model("x")]), node("a", 0, [model("x")])),
    expected: "a",
  },
  {
    name: "less busy beats preferred",
    snapshot: fleet(node("a", 0, [model("x", { inFlight: 2 })]), node("b", 0, [model("x")])),
    preferred: ["a"],
    expected: "b",
  },
  {
    name: "an up node beats a less busy degraded one",
    snapshot: fleet(
      node("a", 0, [model("x")], { state: "degraded" }),
      node("b", 0, [model("x", { inFlight: 5 })]),
    ),
    expected: "b",
  },
  {
    name: "a degraded node when no up node has it",
    snapshot: fleet(node("a", 0, [model("x")], { state: "degraded" }), node("b", 0, [offered("x")])),
    expected: "a",
  },
  {
    name: "down nodes are skipped",
    snapshot: fleet(node("a", 0, [model("x")], { state: "down" })),
    expected: null,
  },
  {
    name: "only loaded copies count, not loading or unloading ones",
    snapshot: fleet(
      node("a", 0, [model("x", { state: "loading" })]),
      node("b", 0, [model("x", { state: "unloading" })]),
      node("c", 0, [model("x", { state: "failed" })]),
    ),
    expected: null,
  },
  {
    name: "only allowed nodes",
    snapshot: fleet(node("a", 0, [model("x")]), node("b", 0, [model("x", { inFlight: 9 })])),
    allowed: ["b"],
    expected: "b",
  },
  {
    name: "not a node whose profile entry disallows the model",
    snapshot: fleet(
      node("a", 0, [{ ...model("x"), allowed: false }]),
      node("b", 0, [model("x", { inFlight: 9 })]),
    ),
    expected: "b",
  },
  {
    name: "another model loaded does not count",
    snapshot: fleet(node("a", 0, [model("y")])),
    expected: null,
  },
];

describe("pickLoadedNode", () => {
  it.each(cases)("$name", (c) => {
    expect(pickLoadedNode(c.snapshot, "x", c.allowed, c.preferred)).toBe(c.expected);
  });
});
