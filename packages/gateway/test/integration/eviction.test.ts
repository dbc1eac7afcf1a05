import { startFakeNeuron, type FakeNeuron, type FakeModelSpec } from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cleanups, MiB, okJson, startTestGateway, waitFor, type TestGateway } from "./gateway-harness.js";

const cleanups = new Cleanups();
afterAll(() => cleanups.run());

async function fake(name: string, memoryTotal: number, models: FakeModelSpec[]): Promise<FakeNeuron> {
  const node = await startFakeNeuron({ name, memoryTotal, models });
  cleanups.add(() => node.close());
  return node;
}

async function gateway(...args: Parameters<typeof startTestGateway>): Promise<TestGateway> {
  const started = await startTestGateway(...args);
  cleanups.add(() => started.close());
  return started;
}

/** A short non-streaming chat through the gateway, under a request id the decisions can name. */
async function chat(gw: TestGateway, model: string, requestId?: string): Promise<string | null> {
  const completion = await gw
    .openai()
    .chat.completions.create(
      { model, messages: [{ role: "user", content: "hello there" }], max_tokens: 2 },
      requestId === undefined ? {} : { headers: { "x-request-id": requestId } },
    );
  return completion.choices[0]?.message.content ?? null;
}

/** `last_used` has millisecond resolution: make sure the next use is strictly later. */
async function nextMillisecond(): Promise<void> {
  const now = Date.now();
  await waitFor("the clock to move", () => Date.now() > now + 1);
}

const PRIORITIES = `
[[models]]
id = "veteran"
priority = 10

[[models]]
id = "rookie"
priority = 1

[[models]]
id = "incoming"
priority = 5
`;

/**
 * The same node, profiles and history for each strategy: `veteran` (priority 10) was used before
 * `rookie` (priority 1), the node is full, and `incoming` needs the room of one of them.
 */
async function evictionFor(strategy: "lru" | "priority") {
  const node = await fake(`node-${strategy}`, 20 * MiB, [
    { id: "veteran", memory: 10 * MiB },
    { id: "rookie", memory: 10 * MiB },
    { id: "incoming", memory: 10 * MiB },
  ]);
  const gw = await gateway({
    neurons: [{ name: node.name, url: node.url }],
    eviction: { strategy },
    models: PRIORITIES,
  });
  await chat(gw, "veteran");
  await nextMillisecond();
  await chat(gw, "rookie");
  expect(await chat(gw, "incoming", `req-${strategy}`)).toBe("tok0 tok1");
  return { node, gw, unloads: node.stats().unloads, decisions: await gw.decisions() };
}

describe("eviction", () => {
  it("LRU and priority pick different victims in the same setup, and /admin/decisions says why", async () => {
    const lru = await evictionFor("lru");
    const priority = await evictionFor("priority");

    expect(lru.unloads).toEqual({ veteran: 1, rookie: 0, incoming: 0 });
    expect(priority.unloads).toEqual({ veteran: 0, rookie: 1, incoming: 0 });
    expect(
      lru.node
        .models()
        .filter((m) => m.state === "loaded")
        .map((m) => m.id)
        .sort(),
    ).toEqual(["incoming", "rookie"]);
    expect(
      priority.node
        .models()
        .filter((m) => m.state === "loaded")
        .map((m) => m.id)
        .sort(),
    ).toEqual(["incoming", "veteran"]);

    const evictions = (decisions: typeof lru.decisions) =>
      decisions.filter((decision) => decision.kind === "evict").map((decision) => decision.message);
    expect(evictions(lru.decisions)).toEqual([
      expect.stringMatching(
        /^evicted veteran on node-lru to load incoming for request req-lru \(lru: last used/,
      ),
    ]);
    expect(evictions(priority.decisions)).toEqual([
      expect.stringMatching(
        /^evicted rookie on node-priority to load incoming for request req-priority \(priority: priority 1, last used/,
      ),
    ]);
    // Every load was planned from fresh memory figures: no load that the node had to refuse.
    for (const { decisions, gw } of [lru, priority]) {
      expect(decisions.map((decision) => decision.kind)).toEqual(["load", "load", "evict", "load"]);
      expect(await gw.metric("cortex_scheduler_loads_total", { result: "error" })).toBe(0);
    }
    const evict = priority.decisions.find((decision) => decision.kind === "evict");
    expect(evict).toMatchObject({ model: "rookie", node: "node-priority", requestId: "req-priority" });
    // The gateway counts evictions by the strategy that chose them.
    expect(await lru.gw.metric("cortex_scheduler_evictions_total", { model: "veteran", reason: "lru" })).toBe(
      1,
    );
  });

  describe("on a full node with pinned and busy models", () => {
    let gw: TestGateway;
    let node: FakeNeuron;
    let other: FakeNeuron;

    beforeAll(async () => {
      node = await fake("n2", 40 * MiB, [
        { id: "keeper", memory: 10 * MiB },
        { id: "held", memory: 10 * MiB },
        { id: "busy", memory: 10 * MiB },
        { id: "spare", memory: 10 * MiB },
        { id: "incoming", memory: 10 * MiB },
        { id: "giant", memory: 50 * MiB },
      ]);
      other = await fake("n3", 35 * MiB, [{ id: "giant", memory: 50 * MiB }]);
      gw = await gateway({
        neurons: [
          { name: node.name, url: node.url },
          { name: other.name, url: other.url },
        ],
        models: `[[models]]\nid = "keeper"\npinned = true\n`,
      });
    });

    it("answers a request that fits nowhere with a fast 503, Retry-After, and needed vs largest free", async () => {
      const started = Date.now();
      const response = await gw.post("/v1/chat/completions", {
        model: "giant",
        messages: [{ role: "user", content: "hi" }],
      });
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(response.status).toBe(503);
      expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await response.json()).toEqual({
        error: {
          message:
            "model giant needs 50 MiB; the largest space any node could free is 40 MiB (node n2: 40 MiB free + 0 B evictable)",
          type: "server_error",
          param: null,
          code: "no_capacity",
        },
      });
      expect(node.stats().loadRequests.giant).toBe(0);
      expect(other.stats().loadRequests.giant).toBe(0);
      const noFit = (await gw.decisions()).find((decision) => decision.kind === "no_fit");
      expect(noFit?.message).toMatch(/^cannot place giant for request \S+: model giant needs 50 MiB/);

      // The official client sees the same: a 503 APIError with the reason, not a hang or a retry loop.
      await expect(
        gw.openai().chat.completions.create({ model: "giant", messages: [{ role: "user", content: "hi" }] }),
      ).rejects.toMatchObject({ status: 503, code: "no_capacity" });
    });

    it("never evicts pinned (models.toml and /admin/models/pin) or busy models", async () => {
      await chat(gw, "keeper");
      await nextMillisecond();
      await chat(gw, "held");
      await nextMillisecond();
      const pin = await gw.post("/admin/models/pin", { model: "held" });
      expect(await okJson(pin)).toMatchObject({ model: "held", pinned: true, nodes: [expect.any(String)] });

      // A stream in flight: it stalls after one token until its client leaves.
      node.set({ stallAfterTokens: 1 });
      const abort = new AbortController();
      const stream = await gw
        .openai()
        .chat.completions.create(
          { model: "busy", messages: [{ role: "user", content: "hi" }], max_tokens: 50, stream: true },
          { signal: abort.signal },
        );
      const iterator = stream[Symbol.asyncIterator]();
      await iterator.next();
      node.set({ stallAfterTokens: null });
      expect(node.stats().inFlight.busy).toBe(1);
      await nextMillisecond();
      await chat(gw, "spare");

      // keeper, held and busy were all used before spare; LRU would take keeper first if it could.
      expect(await chat(gw, "incoming", "req-pinned")).toBe("tok0 tok1");
      expect(node.stats().unloads).toMatchObject({ keeper: 0, held: 0, busy: 0, spare: 1 });
      const decisions = await gw.decisions();
      expect(decisions.filter((d) => d.kind === "evict").map((d) => d.message)).toEqual([
        expect.stringMatching(/^evicted spare on n2 to load incoming for request req-pinned \(lru:/),
      ]);
      expect(decisions.find((d) => d.kind === "pin")).toMatchObject({
        model: "held",
        message: "pinned held on n2",
      });
      const fleet = (await okJson(await gw.get("/admin/fleet"))) as {
        nodes: { name: string; models: { id: string; pinned: boolean; in_flight: number }[] }[];
      };
      const n2 = fleet.nodes.find((entry) => entry.name === "n2")?.models ?? [];
      expect(n2.find((m) => m.id === "keeper")?.pinned).toBe(true);
      expect(n2.find((m) => m.id === "held")?.pinned).toBe(true);
      expect(n2.find((m) => m.id === "busy")?.in_flight).toBe(1);

      // Once the stream ends and held is unpinned, they are ordinary cold models again.
      abort.abort();
      await node.waitFor(() => node.stats().inFlight.busy === 0);
      await okJson(await gw.post("/admin/models/unpin", { model: "held" }));
      await waitFor("the gateway to see busy idle", async () => {
        const now = (await okJson(await gw.get("/admin/fleet"))) as typeof fleet;
        const busy = now.nodes.find((entry) => entry.name === "n2")?.models.find((m) => m.id === "busy");
        return busy?.in_flight === 0;
      });
      expect(await chat(gw, "spare", "req-after")).toBe("tok0 tok1");
      // held is now the least recently used model that may go; keeper stays pinned from models.toml.
      expect(node.stats().unloads).toMatchObject({ keeper: 0, held: 1, busy: 0, spare: 1 });
    });
  });
});
