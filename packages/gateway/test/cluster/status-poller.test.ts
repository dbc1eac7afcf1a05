import { afterEach, describe, expect, it } from "vitest";
import { STATUS_BODY_LIMIT, type NeuronTimeouts } from "../../src/cluster/neuron-client.js";
import { NeuronClients } from "../../src/cluster/neuron-clients.js";
import { NodeRegistry } from "../../src/cluster/node-registry.js";
import { StatusPoller } from "../../src/cluster/status-poller.js";
import { FakeClock } from "./fake-clock.js";
import { neuronModel } from "./neuron-fixtures.js";
import { StubNeuron } from "./stub-neuron.js";

const TIMEOUTS: NeuronTimeouts = { connect: 2_000, firstByte: 5_000, idle: 5_000, load: 5_000 };
const INTERVAL = 1_000;

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function stubNeuron(name: string): Promise<StubNeuron> {
  const stub = await StubNeuron.start({ name, models: [neuronModel("m1"), neuronModel("m2")] });
  cleanups.push(() => stub.close());
  return stub;
}

/** One gateway's view of the fleet: registry, clients and poller on a fake clock. */
function gateway(stubs: readonly StubNeuron[], options: { downAfter?: number; maxBackoff?: number } = {}) {
  const clock = new FakeClock();
  const transitions: string[] = [];
  const entries = stubs.map((stub) => ({ name: stub.name, endpoint: stub.url }));
  const registry = new NodeRegistry({
    neurons: entries,
    downAfter: options.downAfter ?? 3,
    now: () => clock.now(),
    onTransition: (node, from, to) => transitions.push(`${node.name} ${from}→${to}`),
  });
  const clients = new NeuronClients(entries, { timeouts: TIMEOUTS });
  const poller = new StatusPoller({
    registry,
    clients,
    pollInterval: INTERVAL,
    maxBackoff: options.maxBackoff,
    clock,
  });
  cleanups.push(async () => {
    await poller.stop();
    await clients.close();
  });
  const loaded = (name: string) =>
    registry
      .get(name)
      ?.models.filter((model) => model.state === "loaded")
      .map((model) => model.id);
  return { clock, transitions, registry, clients, poller, loaded };
}

describe("StatusPoller", () => {
  it("follows a neuron up → degraded → down → up over HTTP, reporting each transition once", async () => {
    const stub = await stubNeuron("beast");
    stub.setLoaded("m1");
    const { poller, registry, transitions, loaded } = gateway([stub]);

    await poller.pollNow();
    expect(loaded("beast")).toEqual(["m1"]);
    stub.faults.set("*", "drop");
    for (let poll = 0; poll < 5; poll++) await poller.pollNow();
    expect(registry.get("beast")).toMatchObject({ state: "down", models: [], failures: 5 });
    expect(registry.get("beast")?.lastError?.code).toBe("node_unavailable");

    // It comes back (restarted, say) with another model loaded: that is what the gateway adopts.
    stub.faults.clear();
    stub.setLoaded("m2");
    await poller.pollNow();
    await poller.pollNow();

    expect(transitions).toEqual([
      "beast down→up",
      "beast up→degraded",
      "beast degraded→down",
      "beast down→up",
    ]);
    expect(loaded("beast")).toEqual(["m2"]);
  });

  it("counts a status reply past the status cap as a failed poll, not an adopted report", async () => {
    const stub = await stubNeuron("beast");
    stub.setLoaded("m1");
    const { poller, registry, transitions, loaded } = gateway([stub]);
    await poller.pollNow();

    stub.setLoaded("m2");
    stub.faults.set("/models", "oversized");
    await poller.pollNow();
    // The last good report stands while the node is degraded; the oversized one is never adopted.
    expect(registry.get("beast")).toMatchObject({ state: "degraded", failures: 1 });
    expect(loaded("beast")).toEqual(["m1"]);
    expect(registry.get("beast")?.lastError).toEqual({
      code: "upstream_error",
      message: `neuron beast: the answer to GET /models is larger than ${STATUS_BODY_LIMIT} bytes (the cap for status and lifecycle replies)`,
    });

    stub.faults.clear();
    await poller.pollNow();
    expect(transitions).toEqual(["beast down→up", "beast up→degraded", "beast degraded→up"]);
    expect(loaded("beast")).toEqual(["m2"]);
  });

  it("lets two gateways polling one neuron agree on what is loaded", async () => {
    const stub = await stubNeuron("beast");
    const first = gateway([stub]);
    const second = gateway([stub]);
    await Promise.all([first.poller.pollNow(), second.poller.pollNow()]);

    const model = await first.clients.get("beast")!.load({ model: "m2" }, new AbortController().signal);
    first.registry.noteModel("beast", model);
    await second.poller.pollNow();

    expect(first.loaded("beast")).toEqual(["m2"]);
    expect(second.registry.get("beast")?.models).toEqual(first.registry.get("beast")?.models);
  });

  it("polls /info and /models every interval once started", async () => {
    const stub = await stubNeuron("beast");
    const { poller, clock } = gateway([stub]);

    poller.start();
    for (let round = 0; round < 3; round++) {
      clock.tick(INTERVAL);
      await poller.settled();
    }

    expect([stub.count("/info"), stub.count("/models")]).toEqual([3, 3]);
  });

  it("backs off a down node, doubling the wait up to the cap, and resumes at once when it answers", async () => {
    const stub = await stubNeuron("beast");
    stub.faults.set("/models", "drop");
    const { poller, clock, registry } = gateway([stub], { downAfter: 1, maxBackoff: 4 * INTERVAL });
    await poller.pollNow();
    poller.start();

    const polledAt: number[] = [];
    for (let round = 1; round <= 16; round++) {
      if (round === 12) stub.faults.clear();
      const before = stub.count("/models");
      clock.tick(INTERVAL);
      await poller.settled();
      if (stub.count("/models") > before) polledAt.push(round);
    }

    // Waits of 1, 2, 4, 4 intervals while down; the poll in round 15 finds it up again.
    expect(polledAt).toEqual([1, 3, 7, 11, 15, 16]);
    expect(registry.get("beast")?.state).toBe("up");
  });

  it("fails a poll that overruns its deadline as upstream_timeout", async () => {
    const stub = await stubNeuron("beast");
    const { poller, clock, registry } = gateway([stub]);
    await poller.pollNow();
    stub.faults.set("/models", "hang");

    const hanging = stub.nextRequest("/models");
    const poll = poller.pollNow();
    await hanging;
    clock.tick(5_000);
    await poll;

    expect(registry.get("beast")).toMatchObject({ state: "degraded", failures: 1 });
    expect(registry.get("beast")?.lastError?.code).toBe("upstream_timeout");
  });

  it("keeps polling other nodes while one hangs, and stop() cancels the hanging poll without recording it", async () => {
    const [fast, stuck] = [await stubNeuron("fast"), await stubNeuron("stuck")];
    const { poller, clock, registry } = gateway([fast, stuck]);
    await poller.pollNow();
    stuck.faults.set("/models", "hang");

    poller.start();
    const hanging = stuck.nextRequest("/models");
    clock.tick(INTERVAL);
    await Promise.all([hanging, poller.settled("fast")]);
    clock.tick(INTERVAL);
    await poller.settled("fast");
    await poller.stop();

    expect([fast.count("/models"), stuck.count("/models")]).toEqual([3, 2]);
    expect(registry.get("stuck")).toMatchObject({ state: "up", failures: 0, lastError: null });
  });

  it("refreshes one node on demand", async () => {
    const stub = await stubNeuron("beast");
    const { poller } = gateway([stub]);

    stub.setLoaded("m1");
    const view = await poller.refreshNode("beast");

    expect(view?.state).toBe("up");
    expect(view?.models.find((model) => model.id === "m1")?.state).toBe("loaded");
  });

  it("picks up a node added by a config reload on the next round", async () => {
    const [beast, spark] = [await stubNeuron("beast"), await stubNeuron("spark")];
    const { poller, clock, registry, clients } = gateway([beast]);
    poller.start();

    const entries = [beast, spark].map((stub) => ({ name: stub.name, endpoint: stub.url }));
    registry.setNeurons(entries);
    clients.configure(entries, { timeouts: TIMEOUTS });
    clock.tick(INTERVAL);
    await poller.settled();

    expect(registry.snapshot().map((node) => [node.name, node.state])).toEqual([
      ["beast", "up"],
      ["spark", "up"],
    ]);
  });

  it("polls at a reloaded interval from then on, not when the old interval would have come round", async () => {
    const stub = await stubNeuron("beast");
    const { poller, clock, loaded } = gateway([stub]);
    await poller.pollNow();
    poller.start();

    poller.setPollInterval(INTERVAL / 10);
    stub.setLoaded("m2");
    clock.tick(INTERVAL / 10);
    await poller.settled();

    expect(loaded("beast")).toEqual(["m2"]);
  });
});
