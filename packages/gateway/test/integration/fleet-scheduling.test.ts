import { spawnFakeEngineNeuron, type FakeEngineNeuron } from "@cortex/testkit";
import { afterAll, describe, expect, it } from "vitest";
import {
  Cleanups,
  MiB,
  loadedOn,
  okJson,
  startTestGateway,
  waitFor,
  type GatewaySetup,
  type TestGateway,
} from "./gateway-harness.js";

/**
 * What the scheduler does on its own and in what order it serves, on real neuron processes (the fake
 * engine, for timings a test controls): idle models unloaded after their TTL, a high-priority request
 * served before queued low-priority ones, a replica added while requests queue and removed once idle,
 * requests for two models that do not fit together served in groups with one swap between them.
 */

const cleanups = new Cleanups();
afterAll(() => cleanups.run());

type Knobs = Parameters<typeof spawnFakeEngineNeuron>[0]["models"][string];

async function neuron(name: string, models: Record<string, Knobs>, loaded: string[] = []) {
  const started = await spawnFakeEngineNeuron({
    name,
    models,
    config: 'parallel = 1\nmemory_budget = "100MiB"',
  });
  cleanups.add(() => started.stop());
  for (const model of loaded) await loadDirectly(started, model);
  return started;
}

async function loadDirectly(node: FakeEngineNeuron, model: string): Promise<void> {
  await okJson(
    await fetch(`${node.url}/models/load`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model }),
    }),
  );
}

async function gateway(setup: GatewaySetup): Promise<TestGateway> {
  const gw = await startTestGateway(setup);
  cleanups.add(() => gw.close());
  return gw;
}

const hello = [{ role: "user" as const, content: "hello" }];

async function chat(
  gw: TestGateway,
  model: string,
  options: { maxTokens?: number; headers?: Record<string, string> } = {},
): Promise<Response> {
  return gw.post(
    "/v1/chat/completions",
    { model, messages: hello, max_tokens: options.maxTokens ?? 2 },
    options.headers,
  );
}

/** A streaming request that holds its node's only sequence until `release`. */
async function hold(gw: TestGateway, model: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const response = await gw.fetch("/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model, messages: hello, max_tokens: 100_000, stream: true }),
    signal: abort.signal,
  });
  expect(response.status).toBe(200);
  const reading = (async () => {
    for await (const chunk of response.body ?? []) void chunk;
  })().catch(() => undefined);
  cleanups.add(() => abort.abort());
  return {
    node: response.headers.get("x-cortex-node"),
    release: async () => {
      abort.abort();
      await reading;
    },
  };
}

function queued(gw: TestGateway, model: string): number {
  return gw.running.context.scheduler.queueStats(model)?.waiting ?? 0;
}

describe("idle TTL", () => {
  it("unloads a model unused past its idle_unload; a pinned one and one set to never stay", async () => {
    const knobs = { memory: 1_000_000 };
    const node = await neuron("solo", { m: knobs, keep: knobs, pin: knobs }, ["keep", "pin"]);
    const gw = await gateway({
      neurons: [{ name: "solo", url: node.url }],
      scheduler: { idle_unload: "1s" },
      models: ['[[models]]\nid = "keep"\nidle_unload = "0"', '[[models]]\nid = "pin"\npinned = true'].join(
        "\n",
      ),
    });
    expect((await chat(gw, "m")).status).toBe(200);
    const catalog = await gw.catalog();
    expect(catalog.find((entry) => entry.id === "m")).toMatchObject({ idle_unload_ms: 1000 });
    expect(catalog.find((entry) => entry.id === "m")?.last_used).toEqual(expect.any(Number));
    expect(catalog.find((entry) => entry.id === "keep")).toMatchObject({ idle_unload_ms: 0 });
    expect(catalog.find((entry) => entry.id === "pin")).toMatchObject({ pinned: true });

    await waitFor(
      "m to be unloaded after its TTL",
      async () => loadedOn(await gw.catalog(), "m").length === 0,
    );
    const after = await gw.catalog();
    // Loaded before m was used, so past the same TTL by now: only their settings kept them.
    expect(loadedOn(after, "keep")).toEqual(["solo"]);
    expect(loadedOn(after, "pin")).toEqual(["solo"]);
    const unloads = (await gw.decisions()).filter((decision) => decision.kind === "idle_unload");
    expect(unloads.map((decision) => `${decision.model} ${decision.node}`)).toEqual(["m solo"]);
    expect(unloads[0]?.message).toMatch(/^unloading m on solo: unused for \d+s \(idle_unload 1s\)$/);
    // The fleet view (`cortex status`, dashboard) carries the TTL too.
    const fleet = (await okJson(await gw.get("/admin/fleet"))) as {
      nodes: { models: { id: string; idle_unload_ms: number }[] }[];
    };
    expect(fleet.nodes[0]?.models.find((model) => model.id === "keep")?.idle_unload_ms).toBe(0);
  });
});

describe("priorities and fair queues", () => {
  it("serves high-priority requests (by key, or by header where allowed) before queued low-priority ones", async () => {
    const node = await neuron("solo", { m: { memory: 1_000_000, tokenDelayMs: 5 } }, ["m"]);
    const gw = await gateway({
      neurons: [{ name: "solo", url: node.url }],
      gateway: {
        api_keys: [
          { key: "k-low", name: "batch", priority: "low" },
          { key: "k-high", name: "ops", priority: "high" },
          { key: "k-tools", name: "tools", priority_header: true },
        ],
      },
    });
    const as = (key: string, extra: Record<string, string> = {}) => ({
      authorization: `Bearer ${key}`,
      ...extra,
    });
    await waitFor("the gateway to know solo's sequences", () =>
      gw.running.context.scheduler.snapshot().nodes.some((n) => n.models.some((m) => m.slots === 1)),
    );
    // The only sequence is taken; everything after this waits in the gateway's queue.
    const held = await hold(gw, "m", as("k-low"));
    const order: string[] = [];
    const send = (name: string, headers: Record<string, string>) =>
      chat(gw, "m", { headers }).then(async (response) => {
        expect(response.status).toBe(200);
        await response.text();
        order.push(name);
      });
    const lows = [1, 2, 3].map((n) => send(`low${n}`, as("k-low")));
    await waitFor("three low-priority requests queued", () => queued(gw, "m") === 3);
    // Asking for high without the right to: stays low (and says so).
    const ignored = send("low4", as("k-low", { "x-cortex-priority": "high" }));
    await waitFor("four queued", () => queued(gw, "m") === 4);
    const high = send("high", as("k-high"));
    await waitFor("five queued", () => queued(gw, "m") === 5);
    const chosen = send("tools-high", as("k-tools", { "x-cortex-priority": "high" }));
    await waitFor("six queued", () => queued(gw, "m") === 6);
    expect(gw.running.context.scheduler.queueStats("m")?.byClass).toEqual({ high: 2, normal: 0, low: 4 });

    await held.release();
    await Promise.all([...lows, ignored, high, chosen]);
    expect(order).toEqual(["high", "tools-high", "low1", "low2", "low3", "low4"]);
    expect(await gw.metric("cortex_gateway_queue_wait_seconds_count", { priority: "high" })).toBe(2);
    expect(await gw.metric("cortex_gateway_queue_wait_seconds_count", { priority: "low" })).toBe(5);

    const warned = await chat(gw, "m", { headers: as("k-low", { "x-cortex-priority": "high" }) });
    expect(warned.headers.get("x-cortex-warnings")).toBe("x-cortex-priority");
    const invalid = await chat(gw, "m", { headers: as("k-tools", { "x-cortex-priority": "urgent" }) });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { param: "x-cortex-priority" } });
  });
});

describe("replicas", () => {
  it("adds a replica while requests queue, removes it once idle, and keeps min replicas on distinct nodes", async () => {
    const knobs = { memory: 1_000_000, tokenDelayMs: 5 };
    const alpha = await neuron("alpha", { m: knobs, pair: knobs }, ["m"]);
    const beta = await neuron("beta", { m: knobs, pair: knobs });
    const gw = await gateway({
      neurons: [
        { name: "alpha", url: alpha.url },
        { name: "beta", url: beta.url },
      ],
      scheduler: { replica_after: "200ms", replica_idle: "1s" },
      models: [
        '[[models]]\nid = "m"\nreplicas = { min = 1, max = 2 }',
        '[[models]]\nid = "pair"\nreplicas = { min = 2, max = 2 }',
      ].join("\n"),
    });
    await waitFor("the gateway to know alpha's sequences", () =>
      gw.running.context.scheduler.snapshot().nodes.some((n) => n.models.some((m) => m.slots === 1)),
    );
    const held = await hold(gw, "m");
    expect(held.node).toBe("alpha");
    const waiting = [1, 2].map(() => chat(gw, "m"));
    const answers = await Promise.all(waiting);
    // Served by the replica the queue brought up, while alpha's sequence was still taken.
    expect(answers.map((answer) => answer.headers.get("x-cortex-node"))).toEqual(["beta", "beta"]);
    const added = (await gw.decisions()).filter((d) => d.kind === "replica");
    expect(added.map((d) => d.message)).toEqual([
      expect.stringMatching(
        /^adding a replica of m on beta: [12] requests? waiting, the oldest for \d+s \(replica_after 0s\); replica 2 of at most 2: /,
      ),
    ]);
    await held.release();
    await waitFor(
      "the idle replica to be unloaded",
      async () => loadedOn(await gw.catalog(), "m").length === 1,
    );
    const removed = (await gw.decisions()).filter((d) => d.kind === "replica").slice(1);
    expect(removed.map((d) => d.message)).toEqual([
      expect.stringMatching(/^unloading m on (alpha|beta): replica beyond min 1 \(2 running\) unused /),
    ]);

    // min = 2: its first use loads one copy, upkeep the second on the other node.
    expect((await chat(gw, "pair")).status).toBe(200);
    await waitFor("pair on both nodes", async () => loadedOn(await gw.catalog(), "pair").length === 2);
    expect((await gw.decisions()).filter((d) => d.kind === "replica" && d.model === "pair")).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/: replica 2 of min 2: /) }),
    ]);
  });
});

describe("swap-thrash guard", () => {
  it("serves what is loaded and its queue before swapping, once per group, counts swaps and logs thrash", async () => {
    // Each fits the node alone, not both together.
    const knobs = { memory: 60 * MiB, tokenDelayMs: 5 };
    const node = await neuron("solo", { a: knobs, b: knobs }, ["a"]);
    const gw = await gateway({ neurons: [{ name: "solo", url: node.url }] });
    await waitFor("the gateway to know solo's sequences", () =>
      gw.running.context.scheduler.snapshot().nodes.some((n) => n.models.some((m) => m.slots === 1)),
    );

    /**
     * With `loaded`'s only sequence taken, requests alternate other, loaded, other, … (each queued
     * before the next is sent); then the sequence frees. Returns the models in the order they finished.
     */
    const wave = async (loaded: string, other: string): Promise<string[]> => {
      const held = await hold(gw, loaded);
      const finished: string[] = [];
      const statuses: number[] = [];
      const sent: Promise<void>[] = [];
      const waiting = { [loaded]: 0, [other]: 0 };
      for (let i = 0; i < 6; i++) {
        for (const model of [other, loaded]) {
          let answered: string | null = null;
          sent.push(
            chat(gw, model).then(async (response) => {
              answered = `${response.status} ${await response.clone().text()}`;
              statuses.push(response.status);
              await response.text();
              finished.push(model);
            }),
          );
          waiting[model] = (waiting[model] ?? 0) + 1;
          // Answered at once means refused: nothing can be served while the sequence is held.
          await waitFor(
            `${model} request ${i + 1} to wait`,
            () => answered !== null || queued(gw, model) === waiting[model],
          );
          expect({ model, answered }).toEqual({ model, answered: null });
        }
      }
      await held.release();
      await Promise.all(sent);
      expect(statuses).toEqual(Array.from({ length: 12 }, () => 200));
      return finished;
    };

    const group = (first: string, second: string) => [...Array(6).fill(first), ...Array(6).fill(second)];
    // 11 alternations, served as two groups: what was loaded (and queued for it) first, then one swap.
    expect(await wave("a", "b")).toEqual(group("a", "b"));
    expect(loadedOn(await gw.catalog(), "b")).toEqual(["solo"]);
    // The same the other way round: a comes back moments after it was evicted, which is thrash.
    expect(await wave("b", "a")).toEqual(group("b", "a"));

    expect(await gw.metric("cortex_scheduler_swaps_total", { node: "solo" })).toBe(2);
    const decisions = await gw.decisions();
    expect(decisions.filter((d) => d.kind === "evict").map((d) => d.model)).toEqual(["a", "b"]);
    // Each wave's first request for the model not loaded was held for the swap, and said why.
    expect(decisions.filter((d) => d.kind === "wait").map((d) => d.message)).toEqual([
      expect.stringMatching(
        /^b waits for a on solo to be served first \(a: 1 in flight, 0 waiting\); it needs 60 MiB there, 40 MiB free, and loads once it is idle/,
      ),
      expect.stringMatching(/^a waits for b on solo to be served first \(b: 1 in flight, 0 waiting\); /),
    ]);
    expect(decisions.filter((d) => d.kind === "thrash")).toEqual([
      expect.objectContaining({
        model: "a",
        node: "solo",
        message: expect.stringMatching(
          /^swap thrash on solo: a is loaded again \d+ s after it was evicted there; /,
        ),
      }),
    ]);
  });
});

describe("swap time slice", () => {
  it("gives the other model its turn after swap_quantum while the loaded one is kept busy without a pause", async () => {
    // Each fits the node alone, not both together.
    const knobs = { memory: 60 * MiB, tokenDelayMs: 5 };
    const node = await neuron("slice", { a: knobs, b: knobs }, ["a"]);
    // Without a time slice b would wait out timeouts.load and fail.
    const gw = await gateway({
      neurons: [{ name: "slice", url: node.url }],
      scheduler: { swap_quantum: "1s" },
      timeouts: { load: "15s" },
    });
    await waitFor("the gateway to know slice's sequences", () =>
      gw.running.context.scheduler.snapshot().nodes.some((n) => n.models.some((m) => m.slots === 1)),
    );

    const finished: string[] = [];
    const failures: string[] = [];
    const send = async (model: string): Promise<void> => {
      // a's requests are long enough that a client's next one is always there before the others end.
      const response = await chat(gw, model, { maxTokens: model === "a" ? 8 : 2 });
      const body = await response.text();
      if (response.status !== 200) failures.push(`${model}: ${response.status} ${body}`);
      finished.push(model);
    };
    // An agent fleet on a: four clients, each sending its next request as soon as the last one ends, so
    // one is always in flight and others wait (a never goes idle on its own).
    let fleetRunning = true;
    const client = async (): Promise<void> => {
      while (fleetRunning) await send("a");
    };
    const clients = Array.from({ length: 4 }, () => client());
    await waitFor("a to be kept busy", () => queued(gw, "a") === 3);
    const bs = Array.from({ length: 3 }, () => send("b"));
    await Promise.all(bs);
    fleetRunning = false;
    await Promise.all(clients);

    expect(failures).toEqual([]);
    // b's requests went as one group, between a's served before the swap and a's served after it.
    const first = finished.indexOf("b");
    expect(finished.slice(first, first + 3)).toEqual(["b", "b", "b"]);
    expect(first).toBeGreaterThan(0);
    expect(finished.slice(first + 3).length).toBeGreaterThan(0);
    expect(finished.filter((model) => model === "b")).toHaveLength(3);

    const decisions = await gw.decisions();
    const sequence = decisions
      .filter((d) => d.kind === "wait" || d.kind === "evict" || d.kind === "load")
      .map((d) => `${d.kind} ${d.model}`);
    // b waits, gets its turn after its quantum, one swap; a's queue then waits for its own swap back.
    expect(sequence).toEqual(["wait b", "wait b", "evict a", "load b", "wait a", "evict b", "load a"]);
    expect(decisions.filter((d) => d.kind === "wait").map((d) => d.message)).toEqual([
      expect.stringMatching(/^b waits for a on slice to be served first \(a: 1 in flight, 3 waiting\)/),
      expect.stringMatching(
        /^b has waited \d+ s for a on slice: a gets no new requests there until the swap \(swap_quantum 1 s\)$/,
      ),
      expect.stringMatching(/^a waits for b on slice to be served first \(b: /),
    ]);
    expect(await gw.metric("cortex_scheduler_swaps_total", { node: "slice" })).toBe(2);
  });
});
