import { CortexError, PREFIX_SCHEME, type NeuronModel } from "@cortex/core";
import { describe, expect, it, vi } from "vitest";
import * as placement from "../../src/routing/placement.js";
import { Cancellation } from "../../src/cancellation.js";
import { DecisionLog } from "../../src/scheduler/decision-log.js";
import { Scheduler, type Route, type SchedulerEffects } from "../../src/scheduler/scheduler.js";
import type { ModelPlacementProfile } from "../../src/runtime/gateway-runtime.js";
import type { NodeReport } from "../../src/routing/to-node-snapshot.js";

// Placement itself, counted: how often the scheduler plans is part of what it costs per request.
vi.mock("../../src/routing/placement.js", async (importOriginal) => {
  const actual = await importOriginal<typeof placement>();
  return { ...actual, planPlacement: vi.fn(actual.planPlacement) };
});

const MiB = 1024 * 1024;

interface FakeNode {
  name: string;
  total: number;
  models: Map<string, { memory: number; state: NeuronModel["state"]; lastUsed: number | null }>;
}

/** An in-memory fleet whose effects are recorded, so the scheduler's decisions can be asserted exactly. */
function fakeFleet(
  nodes: {
    name: string;
    total: number;
    models: Record<string, { memory: number; loaded?: boolean; lastUsed?: number }>;
  }[],
) {
  const fleet: FakeNode[] = nodes.map((node) => ({
    name: node.name,
    total: node.total,
    models: new Map(
      Object.entries(node.models).map(([id, model]) => [
        id,
        {
          memory: model.memory,
          state: model.loaded ? "loaded" : "unloaded",
          lastUsed: model.lastUsed ?? null,
        },
      ]),
    ),
  }));
  const calls: string[] = [];
  let gate: Promise<void> = Promise.resolve();
  let unloadGate: Promise<void> = Promise.resolve();
  let refuseNext = false;
  const find = (node: string, model: string) => {
    const entry = fleet.find((candidate) => candidate.name === node)?.models.get(model);
    if (!entry) throw new Error(`no ${model} on ${node}`);
    return entry;
  };
  const effects: SchedulerEffects = {
    load: async (node, model) => {
      calls.push(`load ${model} on ${node}`);
      await gate;
      if (refuseNext) {
        refuseNext = false;
        throw new CortexError("insufficient_memory", "refused");
      }
      find(node, model).state = "loaded";
    },
    unload: async (node, model) => {
      calls.push(`unload ${model} on ${node}`);
      await unloadGate;
      find(node, model).state = "unloaded";
    },
    pin: async (node, model, pinned) => {
      calls.push(`${pinned ? "pin" : "unpin"} ${model} on ${node}`);
      await Promise.resolve();
    },
  };
  const reports = (): NodeReport[] =>
    fleet.map((node) => {
      const used = [...node.models.values()]
        .filter((m) => m.state !== "unloaded")
        .reduce((sum, m) => sum + m.memory, 0);
      return {
        name: node.name,
        state: "up",
        info: { memory: { total: node.total, used, free: node.total - used, headroom: 0, source: "budget" } },
        models: [...node.models].map(([id, m]) => ({
          id,
          source: "gguf",
          architecture: "llama",
          quantization: "F16",
          file_size: m.memory,
          parameters: 1,
          train_context_length: 4096,
          context_length: 4096,
          memory_estimate: m.memory,
          state: m.state,
          progress: null,
          last_used: m.lastUsed,
          in_flight: 0,
          queued: 0,
          error: null,
        })),
      };
    });
  return {
    effects,
    reports,
    calls,
    hold: () => {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return release;
    },
    holdUnloads: () => {
      let release!: () => void;
      unloadGate = new Promise((resolve) => (release = resolve));
      return release;
    },
    refuseNextLoad: () => {
      refuseNext = true;
    },
  };
}

interface SchedulerTestOptions {
  strategy?: "lru" | "priority";
  profiles?: Record<string, Partial<ModelPlacementProfile>>;
  queueLimit?: number;
  defragAfterCycles?: number;
  loadTimeoutMs?: number;
  extraHeadroom?: number;
  swapQuantumMs?: number;
  /** Replaces the fleet's own reports (e.g. ones taken mid-request), and the clock. */
  reports?: () => NodeReport[];
  now?: () => number;
}

function scheduler(fleet: ReturnType<typeof fakeFleet>, options: SchedulerTestOptions = {}) {
  const decisions = new DecisionLog();
  const errors: string[] = [];
  const configFor = (given: SchedulerTestOptions) => ({
    profileOf: (id: string): ModelPlacementProfile => ({
      pinned: false,
      priority: 0,
      replicas: { min: 1, max: 1 },
      idleUnloadMs: 0,
      ...given.profiles?.[id],
    }),
    scheduler: {
      strategy: given.strategy ?? "lru",
      defragAfterCycles: given.defragAfterCycles ?? 0,
      queueLimit: given.queueLimit ?? 8,
      loadTimeoutMs: given.loadTimeoutMs ?? 5_000,
      extraHeadroom: given.extraHeadroom ?? 0,
      routing: "prefix" as const,
      replicaAfterMs: 2000,
      replicaIdleMs: 300_000,
      swapQuantumMs: given.swapQuantumMs ?? 30_000,
      upkeepIntervalMs: 1000,
    },
  });
  let config = configFor(options);
  const instance = new Scheduler({
    effects: fleet.effects,
    reports: options.reports ?? fleet.reports,
    config: () => config,
    decisions,
    now: options.now ?? (() => 1_000_000),
    onError: (message) => errors.push(message),
  });
  /** A configuration reload: a new object, as the gateway's runtime is. */
  const reload = (given: SchedulerTestOptions): void => {
    config = configFor(given);
  };
  return { instance, decisions, errors, reload };
}

/** The fleet's reports with one sequence per model: a second request waits in the gateway's queue. */
function oneSequenceEach(fleet: ReturnType<typeof fakeFleet>): () => NodeReport[] {
  return () =>
    fleet.reports().map((report) => ({
      ...report,
      models: report.models.map((model) => ({ ...model, sequences: 1 })),
    }));
}

const context = (requestId: string) => ({ requestId, cancel: new Cancellation() });

/** One node where busy (loaded) and big fit only one at a time. */
const busyAndBig = () =>
  fakeFleet([
    {
      name: "a",
      total: 100 * MiB,
      models: { busy: { memory: 80 * MiB, loaded: true }, big: { memory: 50 * MiB } },
    },
  ]);

/** Lets the scheduler's chains of promises (loads, pumps) run to where they wait. */
async function settled(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("Scheduler", () => {
  it("counts the cold-load wait of a request a poll serves before the load call has returned", async () => {
    const fleet = fakeFleet([{ name: "a", total: 100 * MiB, models: { m: { memory: 10 * MiB } } }]);
    let now = 1_000;
    let loadedInReport = false;
    // The node's report shows the model loaded while the gateway's load call is still in flight.
    const reports = (): NodeReport[] =>
      fleet.reports().map((node) => ({
        ...node,
        models: node.models.map((model) => (loadedInReport ? { ...model, state: "loaded" as const } : model)),
      }));
    const { instance } = scheduler(fleet, { reports, now: () => now });
    const release = fleet.hold();
    const routed = instance.route("m", context("r1"));
    await vi.waitFor(() => expect(fleet.calls).toEqual(["load m on a"]));
    now = 3_000;
    loadedInReport = true;
    instance.upkeep();
    expect((await routed).coldLoadMs).toBe(2_000);
    release();
  });

  it("does not count its own finished request as another gateway's when a report taken during it arrives late", async () => {
    const fleet = fakeFleet([
      { name: "a", total: 100 * MiB, models: { m: { memory: 10 * MiB, loaded: true } } },
    ]);
    let now = 1_000;
    // The node reported while our request ran (in_flight 1: ours), and the report reaches the router
    // only after that request is over: the node is idle, not busy with someone else's request.
    let inFlight = 0;
    let lastSeen = 0;
    let report: NodeReport[] | undefined;
    const reports = (): NodeReport[] =>
      (report ??= fleet.reports().map((node) => ({
        ...node,
        lastSeen,
        models: node.models.map((model) => ({ ...model, in_flight: inFlight, sequences: 1 })),
      })));
    const { instance } = scheduler(fleet, { reports, now: () => now });
    const first = await instance.route("m", context("r1"));
    now = 1_500;
    [inFlight, lastSeen, report] = [1, 1_500, undefined];
    now = 2_000;
    first.release();
    expect(instance.snapshot().nodes[0]?.models[0]?.inFlight).toBe(0);
    // And a request that started after the report is not taken for one the report counted.
    const second = await instance.route("m", context("r2"));
    expect(instance.snapshot().nodes[0]?.models[0]?.inFlight).toBe(1);
    second.release();
  });

  it("does not count its own request as another gateway's when it ended while a slow poll was on its way", async () => {
    const fleet = fakeFleet([
      { name: "a", total: 100 * MiB, models: { m: { memory: 10 * MiB, loaded: true } } },
    ]);
    let now = 1_000;
    let poll = { polledAt: 0, lastSeen: 0, inFlight: 0 };
    let report: NodeReport[] | undefined;
    const reports = (): NodeReport[] =>
      (report ??= fleet.reports().map((node) => ({
        ...node,
        polledAt: poll.polledAt,
        lastSeen: poll.lastSeen,
        models: node.models.map((model) => ({ ...model, in_flight: poll.inFlight, sequences: 1 })),
      })));
    const { instance } = scheduler(fleet, { reports, now: () => now });
    const first = await instance.route("m", context("r1"));
    now = 2_000;
    first.release();
    // A poll sent at 1.5 s, while the request ran (the node counted it), answered at 2.5 s, after it ended.
    [poll, report] = [{ polledAt: 1_500, lastSeen: 2_500, inFlight: 1 }, undefined];
    now = 3_000;
    expect(instance.snapshot().nodes[0]?.models[0]?.inFlight).toBe(0);
  });

  it("routes to the least busy node that has the model loaded, counting its own in-flight requests", async () => {
    const fleet = fakeFleet([
      { name: "a", total: 100 * MiB, models: { m: { memory: 10 * MiB, loaded: true } } },
      { name: "b", total: 100 * MiB, models: { m: { memory: 10 * MiB, loaded: true } } },
    ]);
    const { instance } = scheduler(fleet);
    const first = await instance.route("m", context("r1"));
    const second = await instance.route("m", context("r2"));
    expect([first.node, second.node]).toEqual(["a", "b"]);
    expect(first.coldLoadMs).toBe(0);
    first.release();
    expect((await instance.route("m", context("r3"))).node).toBe("a");
    expect(fleet.calls).toEqual([]);
  });

  it("makes concurrent requests for a cold model one load", async () => {
    const fleet = fakeFleet([{ name: "a", total: 100 * MiB, models: { m: { memory: 10 * MiB } } }]);
    const { instance, decisions } = scheduler(fleet);
    const release = fleet.hold();
    const routes = Promise.all([1, 2, 3].map((index) => instance.route("m", context(`r${index}`))));
    await new Promise((resolve) => setImmediate(resolve));
    release();
    expect((await routes).map((route) => route.node)).toEqual(["a", "a", "a"]);
    expect(fleet.calls).toEqual(["load m on a"]);
    expect(decisions.list().map((decision) => decision.kind)).toEqual(["load"]);
  });

  it("evicts by the strategy and explains it", async () => {
    const models = {
      old: { memory: 40 * MiB, loaded: true, lastUsed: 1 },
      recent: { memory: 40 * MiB, loaded: true, lastUsed: 900_000 },
      big: { memory: 50 * MiB },
    };
    const lru = fakeFleet([{ name: "a", total: 100 * MiB, models }]);
    const { instance: byLru, decisions } = scheduler(lru);
    await byLru.route("big", context("req-1"));
    expect(lru.calls).toEqual(["unload old on a", "load big on a"]);
    expect(decisions.list()[0]?.message).toMatch(/^evicted old on a to load big for request req-1 \(lru/);

    const byPriority = fakeFleet([{ name: "a", total: 100 * MiB, models }]);
    const { instance } = scheduler(byPriority, { strategy: "priority", profiles: { old: { priority: 10 } } });
    await instance.route("big", context("req-2"));
    expect(byPriority.calls).toEqual(["unload recent on a", "load big on a"]);
  });

  it("never evicts a pinned model and fails fast with 503 when nothing can fit", async () => {
    const fleet = fakeFleet([
      {
        name: "a",
        total: 100 * MiB,
        models: { keep: { memory: 80 * MiB, loaded: true }, big: { memory: 50 * MiB } },
      },
    ]);
    const { instance, decisions } = scheduler(fleet, { profiles: { keep: { pinned: true } } });
    const failure = await instance.route("big", context("r1")).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CortexError);
    expect(failure).toMatchObject({ code: "no_capacity", status: 503 });
    expect((failure as CortexError).retryAfter).toBeGreaterThan(0);
    expect((failure as CortexError).message).toMatch(/needs 50(\.0)? MiB/);
    expect(fleet.calls).toEqual([]);
    expect(decisions.list().at(-1)?.kind).toBe("no_fit");
  });

  it("never evicts a model with requests in flight: a request for another model waits until they are served", async () => {
    const fleet = busyAndBig();
    const { instance, decisions } = scheduler(fleet);
    const lease = await instance.route("busy", context("r1"));
    const big = instance.route("big", context("r2"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(instance.loadWaiters).toBe(1);
    expect(decisions.list().at(-1)).toMatchObject({
      kind: "wait",
      model: "big",
      node: "a",
      requestId: "r2",
      message: expect.stringMatching(
        /^big waits for busy on a to be served first \(busy: 1 in flight, 0 waiting\)/,
      ),
    });
    // What is loaded is served before the swap, also a request that came after the waiting one.
    const later = await instance.route("busy", context("r3"));
    lease.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(fleet.calls).toEqual([]);
    later.release();
    expect((await big).node).toBe("a");
    expect(fleet.calls).toEqual(["unload busy on a", "load big on a"]);
    // Retried after each finished request, explained once.
    expect(decisions.list().filter((d) => d.kind === "wait")).toHaveLength(1);
    // An operator's load does not wait for a swap (big is in flight now): it says at once that it cannot.
    const operator = instance.load("busy", undefined, "op", new AbortController().signal);
    await expect(operator).rejects.toMatchObject({ code: "no_capacity" });
    expect(decisions.list().at(-1)).toMatchObject({ kind: "no_fit", model: "busy" });
    expect(fleet.calls).toHaveLength(2);
  });

  it("explains a wait for a swap again when the requests of an earlier identical wait have left", async () => {
    const fleet = busyAndBig();
    const { instance, decisions } = scheduler(fleet);
    const lease = await instance.route("busy", context("r1"));
    const waits = () => decisions.list().filter((d) => d.kind === "wait");
    const gone = new Cancellation();
    const first = instance.route("big", { requestId: "r2", cancel: gone }).catch((error: unknown) => error);
    await settled();
    expect(waits()).toEqual([expect.objectContaining({ model: "big", requestId: "r2" })]);
    gone.abort(new Error("client gone"));
    expect(await first).toMatchObject({ message: "client gone" });
    // The same swap, waited for by a new request: its wait is a new one, and says so.
    const second = instance.route("big", context("r3"));
    await settled();
    expect(waits()).toEqual([
      expect.objectContaining({ model: "big", requestId: "r2" }),
      expect.objectContaining({ model: "big", requestId: "r3" }),
    ]);
    lease.release();
    expect((await second).node).toBe("a");
  });

  it("retries a load waiting for a swap only when a request's end leaves a copy idle, not on every release", async () => {
    const fleet = busyAndBig();
    const { instance } = scheduler(fleet);
    const leases = [await instance.route("busy", context("r1")), await instance.route("busy", context("r2"))];
    const big = instance.route("big", context("r3"));
    await settled();
    vi.mocked(placement.planPlacement).mockClear();
    // busy still has a request in flight: nothing can be swapped, so nothing is planned.
    leases[0]?.release();
    await settled();
    expect(placement.planPlacement).not.toHaveBeenCalled();
    leases[1]?.release();
    expect((await big).node).toBe("a");
    expect(placement.planPlacement).toHaveBeenCalled();
    expect(fleet.calls).toEqual(["unload busy on a", "load big on a"]);
  });

  it("loads a model waiting for a swap on whichever node a copy goes idle first, not only where it planned to wait", async () => {
    const fleet = fakeFleet(
      ["a", "b"].map((name) => ({
        name,
        total: 100 * MiB,
        models: { busy: { memory: 80 * MiB, loaded: true }, big: { memory: 50 * MiB } },
      })),
    );
    const { instance, decisions } = scheduler(fleet);
    const onA = await instance.route("busy", context("r1"));
    const onlyB = (requestId: string) => ({ ...context(requestId), exclude: new Set(["a"]) });
    const onB = [await instance.route("busy", onlyB("r2")), await instance.route("busy", onlyB("r3"))];
    expect([onA.node, ...onB.map((lease) => lease.node)]).toEqual(["a", "b", "b"]);
    const big = instance.route("big", context("r4"));
    await settled();
    // It waits on a, where fewer requests go first; b goes idle before a does.
    expect(decisions.list().at(-1)).toMatchObject({ kind: "wait", node: "a" });
    for (const lease of onB) lease.release();
    expect((await big).node).toBe("b");
    expect(fleet.calls).toEqual(["unload busy on b", "load big on b"]);
    onA.release();
  });

  it("loads a model waiting for two busy models when both go idle in the same tick", async () => {
    const fleet = fakeFleet([
      {
        name: "a",
        total: 100 * MiB,
        models: {
          x: { memory: 40 * MiB, loaded: true },
          y: { memory: 40 * MiB, loaded: true },
          big: { memory: 70 * MiB },
        },
      },
    ]);
    const { instance } = scheduler(fleet);
    const leases = [await instance.route("x", context("r1")), await instance.route("y", context("r2"))];
    const big = instance.route("big", context("r3"));
    await settled();
    // x's end starts a plan that still sees y busy; y's end comes before that plan has answered.
    for (const lease of leases) lease.release();
    expect((await big).node).toBe("a");
    expect(fleet.calls).toEqual(["unload x on a", "unload y on a", "load big on a"]);
  });

  it("bounds the wait for a swap, and says what it waited for", async () => {
    const fleet = busyAndBig();
    const { instance } = scheduler(fleet, { loadTimeoutMs: 50 });
    const lease = await instance.route("busy", context("r1"));
    await expect(instance.route("big", context("r2"))).rejects.toMatchObject({
      code: "no_capacity",
      message: expect.stringMatching(/^no swap within 0 s: big waits for busy on a to be served first/),
    });
    expect(instance.loadWaiters).toBe(0);
    lease.release();
    expect(fleet.calls).toEqual([]);
  });

  it("gives a model kept busy without a pause its turn: past swap_quantum its copy gets no new requests until the swap", async () => {
    const fleet = busyAndBig();
    let now = 1_000_000;
    const { instance, decisions } = scheduler(fleet, { now: () => now, swapQuantumMs: 30_000 });
    const first = await instance.route("busy", context("r1"));
    const big = instance.route("big", context("r2"));
    await settled();
    // Within the quantum, busy is served first, also what arrives for it meanwhile: it never goes idle.
    now += 20_000;
    const second = await instance.route("busy", context("r3"));
    first.release();
    await settled();
    expect(fleet.calls).toEqual([]);
    now += 15_000;
    // Loads block meanwhile: a load call that came back at once, and again, would never let the test on.
    const releaseLoads = fleet.hold();
    let held = false;
    const third = instance.route("busy", context("r4")).then((route) => ((held = true), route));
    await settled();
    expect(held).toBe(false);
    expect(decisions.list().at(-1)).toMatchObject({
      kind: "wait",
      model: "big",
      node: "a",
      requestId: "r2",
      message:
        "big has waited 35 s for busy on a: busy gets no new requests there until the swap (swap_quantum 30 s)",
    });
    // r4 waits for its copy, starting no load call (busy is loaded: one would return at once, and again),
    // also across a poll.
    instance.upkeep();
    await settled();
    expect(fleet.calls).toEqual([]);
    expect(instance.loadWaiters).toBe(2);
    // Busy's request in flight ends: the swap, then big's requests.
    releaseLoads();
    second.release();
    const bigRoute = await big;
    expect(bigRoute.node).toBe("a");
    expect(fleet.calls).toEqual(["unload busy on a", "load big on a"]);
    await settled();
    expect(held).toBe(false);
    // Busy's queue now waits for its own swap back, the same way (one decision says so).
    expect(
      decisions
        .list()
        .filter((d) => d.kind === "wait")
        .at(-1),
    ).toMatchObject({
      model: "busy",
      requestId: "r4",
      message: expect.stringMatching(/^busy waits for big on a to be served first \(big: /),
    });
    bigRoute.release();
    expect((await third).node).toBe("a");
    expect(fleet.calls).toEqual(["unload busy on a", "load big on a", "unload big on a", "load busy on a"]);
    expect(decisions.list().filter((d) => d.kind === "wait")).toHaveLength(3);
    expect(instance.loadWaiters).toBe(0);
  });

  it("ends a model's turn when nobody waits for it any more: the copy it held back takes requests again (reloaded quantum)", async () => {
    const fleet = busyAndBig();
    let now = 1_000_000;
    const { instance, reload } = scheduler(fleet, { now: () => now, swapQuantumMs: 60_000 });
    const lease = await instance.route("busy", context("r1"));
    const gone = new Cancellation();
    const big = instance.route("big", { requestId: "r2", cancel: gone }).catch((error: unknown) => error);
    await settled();
    now += 10_000;
    // Still within the quantum in force: busy takes requests.
    (await instance.route("busy", context("r3"))).release();
    // The quantum is read at each decision: a reload shortens it.
    reload({ swapQuantumMs: 5_000 });
    let served = false;
    const later = instance.route("busy", context("r4")).then((route) => ((served = true), route));
    await settled();
    expect(served).toBe(false);
    // big's client goes away: nothing waits for the swap, so busy takes requests again by the next poll.
    gone.abort(new Error("client gone"));
    expect(await big).toMatchObject({ message: "client gone" });
    instance.upkeep();
    expect((await later).node).toBe("a");
    expect(fleet.calls).toEqual([]);
    // And after that no quantum is left running for it: busy keeps taking requests.
    now += 60_000;
    expect((await instance.route("busy", context("r5"))).node).toBe("a");
    lease.release();
    expect(fleet.calls).toEqual([]);
  });

  it("counts the memory of its own loads in flight: no second model is planned into it (found by the soak)", async () => {
    // Soak: real-qwen was planned onto the 15 MiB real-llama's load was about to take (the node's last
    // report predated that load); the node refused one of them and clients got 503 insufficient_memory.
    const fleet = fakeFleet([
      { name: "a", total: 100 * MiB, models: { x: { memory: 60 * MiB }, y: { memory: 60 * MiB } } },
    ]);
    const { instance } = scheduler(fleet);
    const release = fleet.hold();
    const first = instance.route("x", context("r1"));
    await new Promise((resolve) => setImmediate(resolve));
    const second = instance.route("y", context("r2")).catch((error: unknown) => error);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    const lease = await first;
    expect(lease.node).toBe("a");
    // y waited for x's load and then for x's request, instead of being planned into x's memory.
    expect(fleet.calls).toEqual(["load x on a"]);
    lease.release();
    expect(((await second) as Route).node).toBe("a");
    expect(fleet.calls).toEqual(["load x on a", "unload x on a", "load y on a"]);
  });

  it("routes nothing to a model while it is being evicted (found by the soak)", async () => {
    // Soak: requests routed to the victim during its unload made the neuron load it again right after,
    // racing the load the eviction was for.
    const fleet = fakeFleet([
      {
        name: "a",
        total: 100 * MiB,
        models: { old: { memory: 60 * MiB, loaded: true, lastUsed: 1 }, big: { memory: 60 * MiB } },
      },
    ]);
    const { instance, decisions } = scheduler(fleet);
    const release = fleet.holdUnloads();
    const loadingBig = instance.route("big", context("r1"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(fleet.calls).toEqual(["unload old on a"]);
    // Not routed to the copy going away: it waits to swap old back in once big's request is served.
    const old = instance.route("old", context("r2"));
    await new Promise((resolve) => setImmediate(resolve));
    release();
    const big = await loadingBig;
    expect(big.node).toBe("a");
    expect(fleet.calls).toEqual(["unload old on a", "load big on a"]);
    big.release();
    expect((await old).node).toBe("a");
    expect(fleet.calls).toEqual(["unload old on a", "load big on a", "unload big on a", "load old on a"]);
    // old came back right after its eviction: swap thrash, logged as such.
    expect(decisions.list().filter((d) => d.kind === "thrash")).toEqual([
      expect.objectContaining({ model: "old", node: "a", requestId: "r2" }),
    ]);
  });

  it("bounds the queue of requests waiting for one cold load", async () => {
    const fleet = fakeFleet([{ name: "a", total: 100 * MiB, models: { m: { memory: 10 * MiB } } }]);
    const { instance } = scheduler(fleet, { queueLimit: 2 });
    const release = fleet.hold();
    const waiting = [instance.route("m", context("r1")), instance.route("m", context("r2"))];
    await expect(instance.route("m", context("r3"))).rejects.toMatchObject({
      code: "queue_full",
      status: 503,
    });
    expect(instance.loadWaiters).toBe(2);
    release();
    await Promise.all(waiting);
    // The queue gauge (cortex_scheduler_queued_requests) comes back to 0.
    expect(instance.loadWaiters).toBe(0);
  });

  it("drops a request waiting for a sequence when its client leaves, and serves the next one instead", async () => {
    const fleet = fakeFleet([
      { name: "a", total: 100 * MiB, models: { m: { memory: 10 * MiB, loaded: true } } },
    ]);
    // One sequence: the second and third requests wait in the gateway's queue.
    const { instance } = scheduler(fleet, { reports: oneSequenceEach(fleet) });
    const first = await instance.route("m", context("r1"));
    const leaving = context("r2");
    const second = instance.route("m", leaving);
    const third = instance.route("m", context("r3"));
    expect(instance.loadWaiters).toBe(2);
    leaving.cancel.abort(new CortexError("request_aborted", "client disconnected"));
    await expect(second).rejects.toMatchObject({ code: "request_aborted" });
    expect(instance.loadWaiters).toBe(1);
    first.release();
    const served = await third;
    expect(served.node).toBe("a");
    expect(instance.loadWaiters).toBe(0);
    served.release();
  });

  it("starts a cold load elsewhere for a request that failed on the only loaded copy, while that copy is full", async () => {
    const fleet = fakeFleet([
      { name: "a", total: 100 * MiB, models: { m: { memory: 10 * MiB, loaded: true } } },
      { name: "b", total: 100 * MiB, models: { m: { memory: 10 * MiB } } },
    ]);
    const { instance } = scheduler(fleet, { reports: oneSequenceEach(fleet) });
    const first = await instance.route("m", context("r1"));
    const queued = instance.route("m", context("r2"));
    const retried = instance.route("m", { ...context("r3"), exclude: new Set(["a"]) });
    // The retried request cannot use a, whose one sequence is taken: its cold load on b starts now.
    await vi.waitFor(() => expect(fleet.calls).toEqual(["load m on b"]));
    first.release();
    const [queuedRoute, retriedRoute] = await Promise.all([queued, retried]);
    expect(retriedRoute.node).toBe("b");
    queuedRoute.release();
    retriedRoute.release();
  });

  it("bounds the wait for a load that does not finish", async () => {
    const fleet = fakeFleet([{ name: "a", total: 100 * MiB, models: { m: { memory: 10 * MiB } } }]);
    const { instance } = scheduler(fleet, { loadTimeoutMs: 50 });
    const release = fleet.hold();
    await expect(instance.route("m", context("r1"))).rejects.toMatchObject({ code: "no_capacity" });
    release();
  });

  it("re-plans when a node refuses a load its last report said would fit", async () => {
    const fleet = fakeFleet([{ name: "a", total: 100 * MiB, models: { m: { memory: 10 * MiB } } }]);
    const { instance } = scheduler(fleet);
    fleet.refuseNextLoad();
    expect((await instance.route("m", context("r1"))).node).toBe("a");
    expect(fleet.calls).toEqual(["load m on a", "load m on a"]);
  });

  it("answers 503 node_unavailable, not 404, for a model only a down node offered", async () => {
    const fleet = fakeFleet([{ name: "a", total: 100 * MiB, models: {} }]);
    const down: NodeReport = {
      name: "gone",
      state: "down",
      info: null,
      models: [],
      offlineModels: ["only-there"],
    };
    const { instance } = scheduler({ ...fleet, reports: () => [...fleet.reports(), down] });

    await expect(instance.route("only-there", context("r1"))).rejects.toMatchObject({
      code: "node_unavailable",
      status: 503,
      retryAfter: 10,
      message: "model only-there is served only by gone, which is down",
    });
    await expect(instance.route("elsewhere", context("r2"))).rejects.toMatchObject({
      code: "model_not_found",
    });
  });

  it("answers model_not_found for a model no node offers", async () => {
    const fleet = fakeFleet([{ name: "a", total: 100 * MiB, models: {} }]);
    await expect(scheduler(fleet).instance.route("nope", context("r1"))).rejects.toMatchObject({
      code: "model_not_found",
      status: 404,
    });
  });

  it("defrags after an eviction cycle: load the new copy, then unload the old one", async () => {
    const fleet = fakeFleet([
      {
        name: "a",
        total: 100 * MiB,
        models: {
          y: { memory: 50 * MiB, loaded: true, lastUsed: 1 },
          z: { memory: 60 * MiB },
          w: { memory: 20 * MiB },
        },
      },
      {
        name: "b",
        total: 100 * MiB,
        models: { w: { memory: 20 * MiB, loaded: true }, x: { memory: 30 * MiB, loaded: true } },
      },
    ]);
    const { instance, decisions } = scheduler(fleet);
    await instance.route("z", context("r1"));
    expect(fleet.calls).toEqual(["unload y on a", "load z on a"]);
    expect(instance.evictionCycles).toBe(1);
    // Moving w off b grows the largest free block from 50 MiB (b) to 70 MiB.
    expect(await instance.defragNow()).toBe(1);
    expect(fleet.calls.slice(2)).toEqual(["load w on a", "unload w on b"]);
    expect(decisions.list().at(-1)?.message).toMatch(/^defrag: moving w from b to a/);
    // While the old copy drains it is not routed to; afterwards the new copy serves.
    expect((await instance.route("w", context("r2"))).node).toBe("a");
  });

  it("decides with the configuration in force: a reload's policy and profiles apply to the next decision", async () => {
    const fleet = fakeFleet([
      {
        name: "a",
        total: 100 * MiB,
        models: {
          old: { memory: 40 * MiB, loaded: true, lastUsed: 1 },
          recent: { memory: 40 * MiB, loaded: true, lastUsed: 900_000 },
          big: { memory: 50 * MiB },
          small: { memory: 10 * MiB },
        },
      },
    ]);
    const { instance, decisions, reload } = scheduler(fleet, { extraHeadroom: 95 * MiB });
    // headroom: with 95 MiB kept free nothing fits; after the reload the small model loads.
    await expect(instance.route("small", context("r1"))).rejects.toMatchObject({ code: "no_capacity" });
    reload({ strategy: "priority", profiles: { old: { priority: 10 } }, defragAfterCycles: 1 });
    expect((await instance.route("small", context("r2"))).node).toBe("a");
    // strategy and profiles: priority evicts the low-priority model, not the least recently used one.
    await instance.route("big", context("r3"));
    expect(fleet.calls).toEqual(["load small on a", "unload recent on a", "load big on a"]);
    expect(decisions.list().find((decision) => decision.kind === "evict")?.message).toMatch(/\(priority: /);
    // defrag_after_cycles: 1 cycle now starts a defrag pass.
    await vi.waitFor(() => expect(instance.defragRuns).toBe(1));
    // queue_limit and load timeout: one waiter allowed, and a bounded wait.
    reload({ queueLimit: 1, loadTimeoutMs: 50 });
    const release = fleet.hold();
    const waiting = instance.route("recent", context("r4"));
    await expect(instance.route("recent", context("r5"))).rejects.toMatchObject({ code: "queue_full" });
    await expect(waiting).rejects.toMatchObject({ code: "no_capacity" });
    release();
  });
});

describe("Scheduler: short turns jump a full node's queue", () => {
  /** One node, one sequence, holding a 5000-token conversation ("conv") in its KV tier. */
  const holding = (fleet: ReturnType<typeof fakeFleet>) => (): NodeReport[] =>
    fleet.reports().map((report) => ({
      ...report,
      models: report.models.map((model) => ({
        ...model,
        sequences: 1,
        prefixes: { scheme: PREFIX_SCHEME, prefixes: [{ fp: "conv", tokens: 5000, where: "ram" as const }] },
      })),
    }));
  const returning = () => ({ chain: ["head", "conv", "next"], tokens: 9000, leftTokens: [9000, 40, 0] });

  it("sends a returning turn to the node at once, but never ahead of a higher priority class", async () => {
    const fleet = fakeFleet([
      { name: "a", total: 100 * MiB, models: { m: { memory: 10 * MiB, loaded: true } } },
    ]);
    const { instance } = scheduler(fleet, { reports: holding(fleet) });
    const holder = await instance.route("m", context("cold"));
    // A cold request waits for the sequence, in the gateway's queue.
    let coldWaiter: Route | undefined;
    void instance.route("m", context("cold2")).then((route) => (coldWaiter = route));
    await settled();
    expect(coldWaiter).toBeUndefined();
    // A returning turn goes now: the node lets it go before the prompt it is evaluating.
    const jumped = await instance.route("m", { ...context("turn"), prefix: returning });
    expect(jumped.node).toBe("a");
    // One per sequence: the next one waits like the rest.
    let second: Route | undefined;
    void instance.route("m", { ...context("turn2"), prefix: returning }).then((route) => (second = route));
    await settled();
    expect(second).toBeUndefined();
    jumped.release();
    await settled();

    // With a high-priority request waiting, a normal one does not jump it; a high one does.
    let high: Route | undefined;
    void instance.route("m", { ...context("high"), priority: "high" }).then((route) => (high = route));
    let normal: Route | undefined;
    void instance.route("m", { ...context("turn3"), prefix: returning }).then((route) => (normal = route));
    await settled();
    expect([high, normal]).toEqual([undefined, undefined]);
    const highTurn = await instance.route("m", { ...context("turn4"), priority: "high", prefix: returning });
    expect(highTurn.node).toBe("a");
    highTurn.release();
    holder.release();
  });

  it("does not compute a queued request's prompt identity when no copy could take a jump", async () => {
    const fleet = fakeFleet([
      { name: "a", total: 100 * MiB, models: { m: { memory: 10 * MiB, loaded: true } } },
    ]);
    const { instance } = scheduler(fleet, { reports: oneSequenceEach(fleet) });
    const holder = await instance.route("m", context("first"));
    let computed = 0;
    const prefix = () => {
      computed++;
      return returning();
    };
    const waiting = [1, 2, 3].map((i) => instance.route("m", { ...context(`w${i}`), prefix }));
    await settled();
    // The node reports no conversation: parsing and hashing each body would buy nothing.
    expect(computed).toBe(0);
    holder.release();
    for (const route of waiting) (await route).release();
  });
});

describe("Scheduler: a short turn served from the queue", () => {
  /**
   * Two nodes: a with two sequences, holding the conversation; b a node that evaluates prompts very
   * slowly, so a request short on a would rather go to a than recompute on b. Two requests hold a.
   */
  async function fullHolder() {
    const fleet = fakeFleet([
      { name: "a", total: 100 * MiB, models: { m: { memory: 10 * MiB, loaded: true } } },
      { name: "b", total: 100 * MiB, models: { m: { memory: 10 * MiB, loaded: true } } },
    ]);
    const reports = (): NodeReport[] =>
      fleet.reports().map((report) => ({
        ...report,
        models: report.models.map((model) =>
          report.name === "a"
            ? {
                ...model,
                sequences: 2,
                prefixes: {
                  scheme: PREFIX_SCHEME,
                  prefixes: [{ fp: "conv", tokens: 5000, where: "ram" as const }],
                },
              }
            : { ...model, sequences: 1, prefill_tokens_per_s: 1 },
        ),
      }));
    const { instance } = scheduler(fleet, { reports });
    const onlyA = new Set(["b"]);
    const holders = [
      await instance.route("m", { ...context("h1"), exclude: onlyA }),
      await instance.route("m", { ...context("h2"), exclude: onlyA }),
    ];
    expect(holders.map((route) => route.node)).toEqual(["a", "a"]);
    return { instance, onlyA, holders };
  }
  const returning = () => ({ chain: ["head", "conv", "next"], tokens: 9000, leftTokens: [9000, 40, 0] });

  it("does not jump a full node's queue ahead of a higher priority class waiting for that node", async () => {
    const { instance, onlyA, holders } = await fullHolder();
    // A high-priority request that may only go to a waits for it (b has a free sequence, so the queue
    // is served on every release and poll).
    let high: Route | undefined;
    void instance
      .route("m", { ...context("high"), priority: "high", exclude: onlyA })
      .then((route) => (high = route));
    await settled();
    expect(high).toBeUndefined();
    // A normal returning turn, short on a: the guard keeps it out of a at arrival...
    let normal: Route | undefined;
    void instance.route("m", { ...context("turn"), prefix: returning }).then((route) => (normal = route));
    await settled();
    // ... and when the queue is served too.
    instance.upkeep();
    await settled();
    expect(normal).toBeUndefined();
    holders[0]?.release();
    await settled();
    expect(high?.node).toBe("a");
    for (const route of [holders[1], high, normal]) route?.release();
  });

  it("does not jump again with a request a node refused to queue after a jump", async () => {
    const { instance, holders } = await fullHolder();
    let turn: Route | undefined;
    void instance
      .route("m", { ...context("turn"), prefix: returning, mayJump: false })
      .then((route) => (turn = route));
    await settled();
    instance.upkeep();
    await settled();
    expect(turn).toBeUndefined();
    holders[0]?.release();
    await settled();
    expect(turn).toMatchObject({ node: "a" });
    expect(turn?.jumped).toBeUndefined();
    for (const route of [holders[1], turn]) route?.release();
  });
});
