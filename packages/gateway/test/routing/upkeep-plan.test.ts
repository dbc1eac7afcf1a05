import { describe, expect, it } from "vitest";
import type { FleetSnapshot } from "../../src/routing/fleet-snapshot.js";
import {
  planUpkeep,
  type QueueState,
  type UpkeepAction,
  type UpkeepInput,
  type UpkeepProfile,
} from "../../src/routing/upkeep-plan.js";
import { GiB, NOW, fleet, minutesAgo, model, node, offered } from "./fleet-fixture.js";

const PROFILE: UpkeepProfile = { replicas: { min: 1, max: 1 }, idleUnloadMs: 0, pinned: false };

function plan(
  snapshot: FleetSnapshot,
  options: {
    profiles?: Record<string, Partial<UpkeepProfile>>;
    queues?: Record<string, QueueState>;
    used?: string[];
    loading?: string[];
    loadedSince?: number;
  } = {},
): string[] {
  const input: UpkeepInput = {
    snapshot,
    profileOf: (id) => ({ ...PROFILE, ...options.profiles?.[id] }),
    queues: new Map(Object.entries(options.queues ?? {})),
    used: new Set(options.used ?? []),
    loadedSince: () => options.loadedSince,
    loading: new Set(options.loading ?? []),
    replicaAfterMs: 2000,
    replicaIdleMs: 5 * 60_000,
    strategy: "lru",
    extraHeadroom: 0,
  };
  return planUpkeep(input).map(summary);
}

function summary(action: UpkeepAction): string {
  const evict = action.kind === "replica_load" ? action.evict.map((e) => ` -${e.modelId}`).join("") : "";
  return `${action.kind} ${action.modelId} ${action.node}${evict}: ${action.reason}`;
}

const queued = (waiting: number, oldestWaitMs: number, freeSequences = 0): QueueState => ({
  waiting,
  oldestWaitMs,
  freeSequences,
});

describe("planUpkeep: idle TTL", () => {
  it("unloads a model unused longer than its idle_unload, unless pinned, busy or waited for", () => {
    const snapshot = fleet(
      node("a", 10 * GiB, [
        model("old", { lastUsed: minutesAgo(31) }),
        model("fresh", { lastUsed: minutesAgo(10) }),
        model("pinned", { lastUsed: minutesAgo(90), pinned: true }),
        model("busy", { lastUsed: minutesAgo(90), inFlight: 1 }),
        model("waited", { lastUsed: minutesAgo(90) }),
        model("forever", { lastUsed: minutesAgo(900) }),
      ]),
    );
    const ttl = { idleUnloadMs: 30 * 60_000 };
    expect(
      plan(snapshot, {
        profiles: {
          old: ttl,
          fresh: ttl,
          pinned: { ...ttl, pinned: true },
          busy: ttl,
          waited: ttl,
        },
        queues: { waited: queued(1, 0, 4) },
      }),
    ).toEqual(["idle_unload old a: unused for 31m (idle_unload 30m)"]);
  });

  it("counts a copy nobody used yet as idle from when the gateway first saw it loaded", () => {
    const snapshot = fleet(node("a", 10 * GiB, [model("x", { lastUsed: null })]));
    const profiles = { x: { idleUnloadMs: 60_000 } };
    expect(plan(snapshot, { profiles, loadedSince: NOW - 30_000 })).toEqual([]);
    expect(plan(snapshot, { profiles, loadedSince: NOW - 61_000 })).toEqual([
      "idle_unload x a: unused since it was loaded (idle_unload 1m)",
    ]);
    expect(plan(snapshot, { profiles })).toEqual([]);
  });
});

describe("planUpkeep: replicas", () => {
  const replicas = (min: number, max: number) => ({ x: { replicas: { min, max } } });

  it("adds a replica on another node when requests waited past replica_after and no sequence is free", () => {
    const snapshot = fleet(
      node("a", 10 * GiB, [model("x", { inFlight: 4, lastUsed: NOW })]),
      node("b", 2 * GiB, [offered("x")]),
      node("c", 5 * GiB, [offered("x")]),
    );
    expect(plan(snapshot, { profiles: replicas(1, 3), queues: { x: queued(6, 2500) } })).toEqual([
      "replica_load x c: 6 requests waiting, the oldest for 2s (replica_after 2s); replica 2 of at most 3: " +
        "model x fits on c: 5 GiB free after headroom, needs 1 GiB",
    ]);
    // Not yet, not beyond max, not while a load runs, not while a sequence is free somewhere.
    expect(plan(snapshot, { profiles: replicas(1, 3), queues: { x: queued(6, 1500) } })).toEqual([]);
    expect(plan(snapshot, { profiles: replicas(1, 1), queues: { x: queued(6, 9000) } })).toEqual([]);
    expect(
      plan(snapshot, { profiles: replicas(1, 3), queues: { x: queued(6, 9000) }, loading: ["x"] }),
    ).toEqual([]);
    expect(plan(snapshot, { profiles: replicas(1, 3), queues: { x: queued(6, 9000, 1) } })).toEqual([]);
  });

  it("may evict an idle model for a queued replica, never a busy one", () => {
    const snapshot = fleet(
      node("a", 10 * GiB, [model("x", { inFlight: 4, lastUsed: NOW })]),
      node("b", 0, [offered("x"), model("idle", { lastUsed: minutesAgo(3) })]),
      node("c", 0, [offered("x"), model("busy", { inFlight: 1 })]),
    );
    expect(plan(snapshot, { profiles: replicas(1, 3), queues: { x: queued(2, 3000) } })).toEqual([
      expect.stringMatching(/^replica_load x b -idle: 2 requests waiting/),
    ]);
  });

  it("brings a used model up to min on distinct nodes where it fits, and a pinned one before any use", () => {
    const snapshot = fleet(
      node("a", 10 * GiB, [model("x", { lastUsed: NOW })]),
      node("b", 4 * GiB, [offered("x"), offered("p")]),
      node("c", 0, [offered("x"), model("other", { lastUsed: minutesAgo(60) })]),
    );
    expect(plan(snapshot, { profiles: replicas(3, 3), used: ["x"] })).toEqual([
      "replica_load x b: replica 2 of min 3: model x fits on b: 4 GiB free after headroom, needs 1 GiB",
    ]);
    // Not before the model is first used; and a min replica never evicts.
    expect(plan(snapshot, { profiles: replicas(3, 3) })).toEqual([]);
    expect(
      plan(fleet(node("a", 10 * GiB, [model("x")]), node("c", 0, [offered("x"), model("o")])), {
        profiles: replicas(2, 2),
        used: ["x"],
      }),
    ).toEqual([]);
    expect(plan(snapshot, { profiles: { p: { pinned: true, replicas: { min: 1, max: 1 } } } })).toEqual([
      "replica_load p b: replica 1 of min 1 (pinned): model p fits on b: 4 GiB free after headroom, needs 1 GiB",
    ]);
  });

  it("unloads the replica idle longest beyond min, and never below min", () => {
    const snapshot = fleet(
      node("a", 10 * GiB, [model("x", { lastUsed: minutesAgo(1) })]),
      node("b", 10 * GiB, [model("x", { lastUsed: minutesAgo(20) })]),
      node("c", 10 * GiB, [model("x", { lastUsed: minutesAgo(10) })]),
    );
    expect(plan(snapshot, { profiles: replicas(1, 3) })).toEqual([
      "replica_unload x b: replica beyond min 1 (3 running) unused for 20m (replica_idle 5m)",
    ]);
    expect(plan(snapshot, { profiles: replicas(3, 3) })).toEqual([]);
    expect(plan(snapshot, { profiles: replicas(1, 3), queues: { x: queued(1, 0, 2) } })).toEqual([]);
  });
});
