import type { NeuronModel } from "@cortex/core";
import { describe, expect, it } from "vitest";
import { NodeRegistry, type NodeEntry } from "../../src/cluster/node-registry.js";
import type { NodeState } from "../../src/cluster/node-view.js";
import { neuronInfo, neuronModel } from "./neuron-fixtures.js";

const BEAST: NodeEntry = { name: "beast", endpoint: "http://beast:13131" };
const SPARK: NodeEntry = { name: "spark", endpoint: "http://spark:13131" };
const TIMEOUT = {
  code: "upstream_timeout",
  message: "neuron beast did not start answering in time",
} as const;

function setup(neurons: readonly NodeEntry[] = [BEAST], downAfter = 3) {
  const transitions: string[] = [];
  let now = 1_000;
  const registry = new NodeRegistry({
    neurons,
    downAfter,
    now: () => now,
    onTransition: (node, from, to, reason) => transitions.push(`${node.name} ${from}→${to}: ${reason}`),
  });
  const report = (...models: NeuronModel[]) => ({ info: neuronInfo("beast"), models });
  const succeed = (name: string, ...models: NeuronModel[]) =>
    registry.recordSuccess(name, report(...models), registry.revision);
  const fail = (name: string) => registry.recordFailure(name, TIMEOUT, registry.revision);
  const state = (name: string): NodeState | undefined => registry.get(name)?.state;
  return { registry, transitions, succeed, fail, state, advance: (ms: number) => (now += ms) };
}

describe("NodeRegistry", () => {
  it("starts every node down and unseen", () => {
    const { registry } = setup([BEAST, SPARK]);

    expect(registry.snapshot()).toEqual([
      expect.objectContaining({
        name: "beast",
        state: "down",
        info: null,
        models: [],
        lastSeen: null,
        failures: 0,
      }),
      expect.objectContaining({ name: "spark", state: "down" }),
    ]);
  });

  it("reports up → degraded → down → up once each", () => {
    const { transitions, succeed, fail, state } = setup();

    succeed("beast", neuronModel("m1", { state: "loaded" }));
    fail("beast");
    fail("beast");
    expect(state("beast")).toBe("degraded");
    fail("beast");
    fail("beast");
    fail("beast");
    succeed("beast");
    succeed("beast");

    expect(transitions).toEqual([
      "beast down→up: answered for the first time",
      "beast up→degraded: poll failed: neuron beast did not start answering in time",
      "beast degraded→down: 3 consecutive failed polls, last: neuron beast did not start answering in time",
      "beast down→up: answering again after 5 failed polls",
    ]);
  });

  it("keeps a degraded node's last report, drops a down node's models, keeps its info", () => {
    const { registry, succeed, fail } = setup();
    succeed("beast", neuronModel("m1", { state: "loaded" }));

    fail("beast");
    expect(registry.get("beast")?.models.map((model) => model.id)).toEqual(["m1"]);
    fail("beast");
    fail("beast");

    expect(registry.get("beast")).toMatchObject({
      state: "down",
      models: [],
      offlineModels: ["m1"],
      failures: 3,
      lastError: TIMEOUT,
      info: expect.objectContaining({ node: "beast" }),
    });
  });

  it("re-adopts a node with what it reports now", () => {
    const { registry, succeed, fail, advance } = setup([BEAST], 1);
    succeed("beast", neuronModel("m1", { state: "loaded" }));
    fail("beast");
    advance(5_000);

    succeed("beast", neuronModel("m1"), neuronModel("m2", { state: "loaded" }));

    expect(registry.get("beast")).toMatchObject({
      state: "up",
      failures: 0,
      lastError: null,
      lastSeen: 6_000,
      offlineModels: [],
    });
    expect(registry.get("beast")?.models.map((model) => [model.id, model.state])).toEqual([
      ["m1", "unloaded"],
      ["m2", "loaded"],
    ]);
  });

  it("goes straight from up to down when downAfter is 1, with one transition", () => {
    const { transitions, succeed, fail } = setup([BEAST], 1);
    succeed("beast");

    fail("beast");

    expect(transitions.slice(1)).toEqual([
      "beast up→down: 1 consecutive failed poll, last: neuron beast did not start answering in time",
    ]);
  });

  it("keeps a never-seen node down without transitions until it answers", () => {
    const { transitions, fail, state } = setup();

    fail("beast");
    fail("beast");

    expect(state("beast")).toBe("down");
    expect(transitions).toEqual([]);
  });

  it("applies a lifecycle answer at once, and a poll that started before it does not undo it", () => {
    const { registry } = setup();
    registry.recordSuccess(
      "beast",
      { info: neuronInfo("beast"), models: [neuronModel("m1")] },
      registry.revision,
    );
    const pollStartedAt = registry.revision;

    registry.noteModel("beast", neuronModel("m1", { state: "loaded" }));
    expect(registry.get("beast")?.models[0]?.state).toBe("loaded");
    registry.recordSuccess(
      "beast",
      { info: neuronInfo("beast"), models: [neuronModel("m1")] },
      pollStartedAt,
    );
    expect(registry.get("beast")?.models[0]?.state).toBe("loaded");

    // A poll that started after the answer is the truth again (here: someone unloaded it since).
    registry.recordSuccess(
      "beast",
      { info: neuronInfo("beast"), models: [neuronModel("m1")] },
      registry.revision,
    );
    expect(registry.get("beast")?.models[0]?.state).toBe("unloaded");
  });

  it("ignores notes about down or unknown nodes", () => {
    const { registry } = setup();

    registry.noteModel("beast", neuronModel("m1", { state: "loaded" }));
    registry.noteModel("ghost", neuronModel("m1", { state: "loaded" }));

    expect(registry.get("beast")?.models).toEqual([]);
    expect(registry.get("ghost")).toBeUndefined();
  });

  it("keeps existing nodes' state across a config reload, adds new ones down, drops removed ones", () => {
    const { registry, succeed } = setup([BEAST, SPARK]);
    succeed("beast", neuronModel("m1"));
    const pollOfOldSpark = registry.revision;

    registry.setNeurons([
      { name: "tiny", endpoint: "http://tiny:13131" },
      BEAST,
      { ...SPARK, endpoint: "http://new:1" },
    ]);
    registry.recordSuccess("spark", { info: neuronInfo("spark"), models: [] }, pollOfOldSpark);

    expect(registry.snapshot().map((node) => [node.name, node.state, node.endpoint])).toEqual([
      ["tiny", "down", "http://tiny:13131"],
      ["beast", "up", "http://beast:13131"],
      ["spark", "down", "http://new:1"],
    ]);
    registry.setNeurons([SPARK]);
    expect(registry.get("beast")).toBeUndefined();
  });

  it("hands out frozen snapshots and reuses one until something changes", () => {
    const { registry, succeed } = setup();
    succeed("beast", neuronModel("m1"));

    const first = registry.snapshot();

    expect(registry.snapshot()).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first[0]?.models[0])).toBe(true);
    expect(Object.isFrozen(first[0]?.info?.memory)).toBe(true);
    succeed("beast");
    expect(registry.snapshot()).not.toBe(first);
  });

  it("counts a reloaded down_after from the next failed poll", () => {
    const { registry, succeed, fail, state } = setup([BEAST], 3);
    succeed("beast");
    fail("beast");
    expect(state("beast")).toBe("degraded");

    registry.downAfter = 2;
    fail("beast");

    expect(state("beast")).toBe("down");
  });
});
