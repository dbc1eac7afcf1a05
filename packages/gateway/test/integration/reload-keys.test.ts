import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseCortexConfig, parseModelsConfig } from "@cortex/core";
import { collectSse, repoRoot, startFakeNeuron, type FakeNeuron } from "@cortex/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { RESTART_KEY_NAMES } from "../../src/runtime/gateway-runtime.js";
import { ReloadRefusedError } from "../../src/start-gateway.js";
import {
  Cleanups,
  MiB,
  cortexToml,
  startTestGateway,
  waitFor,
  type GatewaySetup,
  type TestGateway,
} from "./gateway-harness.js";

/**
 * Every key of cortex.toml and models.toml either takes effect on a reload or refuses the reload by name.
 * Each reloadable key is exercised here by what a client sees, or (for keys that only steer the scheduler
 * and the poller) by the unit test named next to it in `COVERED`.
 */

const cleanups = new Cleanups();
afterAll(() => cleanups.run());

const hello = [{ role: "user" as const, content: "hello" }];

async function fake(
  name: string,
  options: Partial<Parameters<typeof startFakeNeuron>[0]> = {},
): Promise<FakeNeuron> {
  const node = await startFakeNeuron({
    name,
    memoryTotal: 100 * MiB,
    models: [
      { id: "m1", memory: 10 * MiB, loaded: true },
      { id: "m2", memory: 10 * MiB, loaded: true },
      { id: "cold", memory: 10 * MiB },
    ],
    ...options,
  });
  cleanups.add(() => node.close());
  return node;
}

async function gateway(setup: GatewaySetup): Promise<TestGateway> {
  const started = await startTestGateway(setup);
  cleanups.add(() => started.close());
  return started;
}

/** `running.reload` with the config `setup` describes, as SIGHUP does after reading the files. */
function reload(gw: TestGateway, setup: GatewaySetup): void {
  gw.running.reload(
    parseCortexConfig(cortexToml(setup), "cortex.toml", process.cwd()),
    parseModelsConfig(setup.models ?? "", "models.toml", process.cwd()),
  );
}

function chat(gw: TestGateway, model: string, headers: Record<string, string> = {}): Promise<Response> {
  return gw.post("/v1/chat/completions", { model, messages: hello, max_tokens: 2 }, headers);
}

/** Where each reloadable key is shown to take effect. */
const COVERED: Readonly<Record<string, string>> = {
  "gateway.api_keys": "reload.test.ts: rotates an api key and the admin key on SIGHUP",
  "gateway.admin_key": "reload.test.ts: rotates an api key and the admin key on SIGHUP",
  "gateway.models_file": "reload.test.ts: rotates an api key and the admin key on SIGHUP",
  "gateway.neuron_token": "here",
  "gateway.default_model": "here",
  "timeouts.connect": "neuron-client.test.ts: replaces the clients whose … timeouts changed",
  "timeouts.first_byte": "here",
  "timeouts.idle": "here",
  "timeouts.load": "here",
  "eviction.strategy": "scheduler.test.ts: decides with the configuration in force",
  "eviction.defrag_after_cycles": "scheduler.test.ts: decides with the configuration in force",
  "fleet.poll_interval": "status-poller.test.ts: polls at a reloaded interval",
  "fleet.down_after": "node-registry.test.ts: counts a reloaded down_after",
  "scheduler.queue_limit": "scheduler.test.ts: decides with the configuration in force",
  "scheduler.headroom": "scheduler.test.ts: decides with the configuration in force",
  "scheduler.routing":
    "router: the policy is read from the runtime at each routing decision (prefix-routing.test.ts)",
  "scheduler.idle_unload":
    "upkeep reads profiles from the runtime at each pass (fleet-scheduling.test.ts: idle TTL)",
  "scheduler.replica_after": "upkeep reads the runtime at each pass (fleet-scheduling.test.ts: replicas)",
  "scheduler.replica_idle": "upkeep reads the runtime at each pass (fleet-scheduling.test.ts: replicas)",
  "scheduler.swap_quantum": "scheduler.test.ts: gives a model kept busy without a pause … (reloaded quantum)",
  "models.replicas":
    "upkeep reads profiles from the runtime at each pass (fleet-scheduling.test.ts: replicas)",
  "models.idle_unload":
    "upkeep reads profiles from the runtime at each pass (fleet-scheduling.test.ts: idle TTL)",
  "responses.store_size": "response-store.test.ts: applies new limits at the next store (reload)",
  "responses.store_max_age": "response-store.test.ts: applies new limits at the next store (reload)",
  "neurons.name": "reload.test.ts: adds a neuron on SIGHUP",
  "neurons.endpoint": "reload.test.ts: adds a neuron on SIGHUP",
  "neurons.token": "here (per-neuron token, like gateway.neuron_token)",
  // models.toml: profiles are read from the runtime in force at each request and decision.
  "models.id": "here",
  "models.aliases": "here",
  "models.sampling.max_tokens": "here",
  "models.sampling.temperature": "sampling-defaults: one rule for every field (here: max_tokens)",
  "models.sampling.top_p": "sampling-defaults: one rule for every field (here: max_tokens)",
  "models.sampling.top_k": "sampling-defaults: one rule for every field (here: max_tokens)",
  "models.priority": "scheduler.test.ts: decides with the configuration in force",
  "models.pinned": "scheduler.test.ts: profiles are read through the runtime, like priority",
  "models.allowed_nodes": "scheduler.test.ts: profiles are read through the runtime, like priority",
  "models.preferred_nodes": "scheduler.test.ts: profiles are read through the runtime, like priority",
  "models.context_size": "start-gateway.ts load effect reads runtime.profileOf at each load",
  "models.expected_memory": "scheduler.test.ts: profiles are read through the runtime, like priority",
};

/** Every `table.key` an example file shows, commented-out ones included (`[[neurons]]` → `neurons.key`). */
function exampleKeys(file: string): string[] {
  const keys = new Set<string>();
  let table = "";
  for (const raw of readFileSync(join(repoRoot(), file), "utf8").split("\n")) {
    const line = raw
      .replace(/^#\s?/, "")
      .replace(/\s+#.*$/, "")
      .trim();
    const header = /^\[\[?([a-z_.]+)\]\]?$/.exec(line);
    if (header?.[1]) {
      table = header[1];
      continue;
    }
    const key = /^([a-z_]+)\s*=/.exec(line)?.[1];
    if (key && table !== "") keys.add(`${table}.${key}`);
  }
  return [...keys];
}

describe("reloading cortex.toml and models.toml", () => {
  it("classifies every key: it reloads (and a test shows it) or it refuses the reload", () => {
    const keys = [...exampleKeys("cortex.example.toml"), ...exampleKeys("models.example.toml")];
    const unclassified = keys.filter((key) => !(key in COVERED) && !RESTART_KEY_NAMES.includes(key));
    expect(unclassified).toEqual([]);
  });

  it("refuses a reload that changes listen, metrics_listen or body_limit, naming them, and applies nothing", async () => {
    const node = await fake("a");
    const setup: GatewaySetup = {
      neurons: [{ name: "a", url: node.url }],
      gateway: { api_keys: ["old-key"] },
    };
    const gw = await gateway(setup);
    let refused: unknown;
    try {
      reload(gw, {
        ...setup,
        gateway: {
          api_keys: ["new-key"],
          listen: "127.0.0.1:1",
          metrics_listen: "127.0.0.1:2",
          body_limit: "1MiB",
        },
      });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ReloadRefusedError);
    expect((refused as ReloadRefusedError).keys).toEqual([
      "gateway.listen",
      "gateway.metrics_listen",
      "gateway.body_limit",
    ]);
    expect((await chat(gw, "m1", { authorization: "Bearer old-key" })).status).toBe(200);
    expect((await chat(gw, "m1", { authorization: "Bearer new-key" })).status).toBe(401);
  });

  it("gateway.neuron_token and neurons.token: the next polls and requests use the new token", async () => {
    const secure = await fake("secure", { token: "right" });
    const setup: GatewaySetup = {
      neurons: [{ name: "secure", url: secure.url }],
      gateway: { neuron_token: "wrong" },
    };
    const gw = await gateway(setup);
    expect(await gw.catalog()).toEqual([]);

    reload(gw, { ...setup, gateway: { neuron_token: "right" } });
    await waitFor("the node to answer with the new token", async () => (await gw.catalog()).length > 0);
    expect((await chat(gw, "m1")).status).toBe(200);

    reload(gw, { ...setup, neurons: [{ name: "secure", url: secure.url, token: "wrong" }] });
    await waitFor(
      "the node's own wrong token to take it down",
      async () => (await gw.catalog()).length === 0,
    );
  });

  it("gateway.default_model, models.id, models.aliases and sampling defaults: the next request resolves anew", async () => {
    const node = await fake("a");
    const setup: GatewaySetup = {
      neurons: [{ name: "a", url: node.url }],
      gateway: { default_model: "m1" },
      models: '[[models]]\nid = "m1"\naliases = ["fast"]\n',
    };
    const gw = await gateway(setup);
    const model = async (requested: string): Promise<string> =>
      ((await (await chat(gw, requested)).json()) as { model: string }).model;
    expect([await model("claude-x"), await model("fast")]).toEqual(["m1", "m1"]);

    reload(gw, {
      ...setup,
      gateway: { default_model: "m2" },
      models: '[[models]]\nid = "m2"\naliases = ["fast"]\nsampling = { max_tokens = 3 }\n',
    });
    expect([await model("claude-x"), await model("fast")]).toEqual(["m2", "m2"]);
    const defaulted = await gw.post("/v1/chat/completions", { model: "fast", messages: hello });
    expect(
      ((await defaulted.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens,
    ).toBe(3);
  });

  it("timeouts.first_byte, timeouts.idle and timeouts.load: the next request runs under the new limits", async () => {
    const node = await fake("a");
    const setup: GatewaySetup = { neurons: [{ name: "a", url: node.url }] };
    const gw = await gateway(setup);
    expect((await chat(gw, "m1")).status).toBe(200);

    // undici checks these deadlines on a coarse (≈ 1 s) clock: the neuron is made far slower than that.
    node.set({ firstByteDelayMs: 30_000 });
    reload(gw, { ...setup, timeouts: { first_byte: "100ms" } });
    const slow = await chat(gw, "m1");
    expect(slow.status).toBe(504);
    expect(await slow.json()).toMatchObject({ error: { code: "upstream_timeout" } });

    node.set({ firstByteDelayMs: 0, stallAfterTokens: 1 });
    reload(gw, { ...setup, timeouts: { idle: "100ms" } });
    const stalled = await gw.post("/v1/chat/completions", {
      model: "m1",
      messages: hello,
      max_tokens: 3,
      stream: true,
    });
    expect(stalled.status).toBe(200);
    const events = await collectSse(stalled.body);
    expect(events.at(-2)?.data).toMatch(/stalled in the middle of a response/);

    node.set({ stallAfterTokens: null, holdLoads: true });
    reload(gw, { ...setup, timeouts: { load: "200ms" } });
    const cold = await chat(gw, "cold");
    expect(cold.status).toBe(503);
    expect(await cold.json()).toMatchObject({ error: { code: "no_capacity" } });
    node.set({ holdLoads: false });
  });
});
