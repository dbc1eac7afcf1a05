import { spawnFakeEngineNeuron, type FakeEngineNeuron } from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cleanups, okJson, startTestGateway, waitFor, type TestGateway } from "./gateway-harness.js";
import { TINY_LLAMA, startRealNeuron, type RealNeuron } from "./real-neuron.js";

/**
 * Prefix-aware routing on real neurons: a session's follow-up goes to the node holding its prompt (from
 * the fingerprints the node reports, so a gateway that never saw the session routes it there too), and
 * leaves it when that node is busy enough that waiting costs more than evaluating the prompt again.
 *
 * The session's first turn is served through a gateway that knows only beta, so where the prefix lives
 * does not depend on timing; the gateway under test knows both nodes, and without prefixes would send
 * every request to alpha (both idle: the first by name).
 */

type Message = { role: "system" | "user" | "assistant"; content: string };

const cleanups = new Cleanups();
afterAll(() => cleanups.run());

interface Turn {
  node: string | null;
  route: string | null;
  cachedTokens: number;
  text: string;
}

async function turn(gw: TestGateway, model: string, messages: Message[], maxTokens = 4): Promise<Turn> {
  const response = await gw.post("/v1/chat/completions", { model, messages, max_tokens: maxTokens });
  const body = (await okJson(response)) as {
    choices: { message: { content: string } }[];
    usage: { prompt_tokens_details?: { cached_tokens?: number } };
  };
  return {
    node: response.headers.get("x-cortex-node"),
    route: response.headers.get("x-cortex-route"),
    cachedTokens: body.usage.prompt_tokens_details?.cached_tokens ?? 0,
    text: body.choices[0]?.message.content ?? "",
  };
}

function session(name: string): Message[] {
  return [
    {
      role: "system",
      content: `You are the assistant of session ${name}. ${"Keep answers short. ".repeat(20)}`,
    },
    { role: "user", content: `Session ${name}: first question.` },
  ];
}

/**
 * Whether `gw` has polled a report of `node` listing a prefix for `model`, taken once the request
 * behind it was over (a report from mid-request would show the node busy).
 */
function seesPrefixes(gw: TestGateway, node: string, model: string): boolean {
  const entry = gw.running.context.scheduler
    .snapshot()
    .nodes.find((n) => n.name === node)
    ?.models.find((m) => m.id === model);
  return (entry?.prefixes?.size ?? 0) > 0 && entry?.inFlight === 0 && entry.queued === 0;
}

function busyOn(gw: TestGateway, node: string, model: string): number {
  const entry = gw.running.context.scheduler
    .snapshot()
    .nodes.find((n) => n.name === node)
    ?.models.find((m) => m.id === model);
  return (entry?.inFlight ?? 0) + (entry?.queued ?? 0);
}

describe("prefix-aware routing on fake-engine neurons", () => {
  let alpha: FakeEngineNeuron;
  let beta: FakeEngineNeuron;
  let gw: TestGateway;
  let betaOnly: TestGateway;

  beforeAll(async () => {
    // One sequence per node, a KV tier, and decoding slow enough that a busy node stays busy.
    const knobs = { memory: 1_000_000, prefillMsPerToken: 0.01, tokenDelayMs: 20, kvTierEntries: 8 };
    const config = 'parallel = 1\nmemory_budget = "100MiB"';
    [alpha, beta] = await Promise.all([
      spawnFakeEngineNeuron({ name: "alpha", models: { m: knobs }, config }),
      spawnFakeEngineNeuron({ name: "beta", models: { m: knobs }, config }),
    ]);
    cleanups.add(() => alpha.stop());
    cleanups.add(() => beta.stop());
    for (const neuron of [alpha, beta]) {
      await okJson(
        await fetch(`${neuron.url}/models/load`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "m" }),
        }),
      );
    }
    gw = await startTestGateway({
      neurons: [
        { name: "alpha", url: alpha.url },
        { name: "beta", url: beta.url },
      ],
      scheduler: { routing: "prefix" },
    });
    cleanups.add(() => gw.close());
    betaOnly = await startTestGateway({ neurons: [{ name: "beta", url: beta.url }] });
    cleanups.add(() => betaOnly.close());
  }, 60_000);

  it("sends a session's follow-up to the node that reports its prefix, and says so", async () => {
    const messages = session("A");
    const first = await turn(betaOnly, "m", messages);
    expect(first.node).toBe("beta");
    await waitFor("the gateway to see beta's prefixes", () => seesPrefixes(gw, "beta", "m"));

    const next = [...messages, { role: "assistant" as const, content: first.text }];
    const second = await turn(gw, "m", [...next, { role: "user", content: "Second question." }]);
    expect(second).toMatchObject({ node: "beta", route: "stick" });
    expect(second.cachedTokens).toBeGreaterThan(0);

    // A session nobody holds goes by load: alpha (idle, first by name).
    const other = await turn(gw, "m", session("B"));
    expect(other).toMatchObject({ node: "alpha", route: "no_prefix" });
    expect(await gw.metric("cortex_scheduler_route_decisions_total", { reason: "stick" })).toBe(1);
  });

  it("moves a session off its node when that node is busy and recomputing costs less than waiting", async () => {
    const messages = session("C");
    const first = await turn(betaOnly, "m", messages);
    expect(first.node).toBe("beta");
    await waitFor("the gateway to see beta's prefixes", () => seesPrefixes(gw, "beta", "m"));

    // Beta's only sequence is taken by a long generation another gateway sent.
    const hold = new AbortController();
    const long = betaOnly
      .fetch("/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", messages: session("D"), max_tokens: 100_000, stream: true }),
        signal: hold.signal,
      })
      .then(async (response) => {
        // Read until the abort below, so the generation is never held up by backpressure.
        for await (const chunk of response.body ?? []) void chunk;
      })
      .catch(() => undefined);
    cleanups.add(() => hold.abort());
    await waitFor("the gateway to see beta busy", () => busyOn(gw, "beta", "m") > 0);

    const next = [...messages, { role: "assistant" as const, content: first.text }];
    const moved = await turn(gw, "m", [...next, { role: "user", content: "Second question." }], 2);
    hold.abort();
    await long;
    expect(moved).toMatchObject({ node: "alpha", route: "moved" });
    const decisions = (await gw.decisions()).filter((decision) => decision.kind === "route");
    expect(decisions.map((decision) => decision.message)).toEqual([
      expect.stringMatching(
        /left beta, which holds \d+ tokens of the prompt \((sequence|ram)\): waiting there ~.* \(1 busy of 1 sequences, 0 queued\) costs more than recomputing \d+ tokens on alpha/,
      ),
    ]);
  });
});

/**
 * One node with one sequence and a KV tier, and prompt evaluation slow enough that a cold 6000-token
 * prompt takes seconds (like an 8k-token agent prompt on a GPU), behind a prefix-routing gateway.
 */
function soloFakeNode(config: string): { neuron: FakeEngineNeuron; gw: TestGateway } {
  const setup = {} as { neuron: FakeEngineNeuron; gw: TestGateway };
  beforeAll(async () => {
    const knobs = { memory: 1_000_000, prefillMsPerToken: 0.5, tokenDelayMs: 5, kvTierEntries: 8 };
    const neuron = await spawnFakeEngineNeuron({
      name: "solo",
      models: { m: knobs },
      config: `parallel = 1\nmemory_budget = "100MiB"\n${config}`,
    });
    cleanups.add(() => neuron.stop());
    const gw = await startTestGateway({
      neurons: [{ name: "solo", url: neuron.url }],
      scheduler: { routing: "prefix" },
    });
    cleanups.add(() => gw.close());
    Object.assign(setup, { neuron, gw });
  }, 60_000);
  return setup;
}

/** An agent's conversation: a few thousand tokens the node holds once its first turn is answered. */
const AGENT_SESSION: Message[] = [
  { role: "system", content: Array.from({ length: 3000 }, (_, i) => `rule${i}`).join(" ") },
  { role: "user", content: "First question." },
];
const COLD: Message[] = [
  { role: "user", content: Array.from({ length: 6000 }, (_, i) => `cold${i}`).join(" ") },
];

/** The session's first turn answered, and the node's report of it seen by the gateway; its next turn. */
async function returningTurn(gw: TestGateway): Promise<Message[]> {
  const first = await turn(gw, "m", AGENT_SESSION);
  // One node: the gateway learns where the prompt is from the node's report (with several it also
  // remembers where it sent it).
  await waitFor("the gateway to see the node's prefixes", () => seesPrefixes(gw, "solo", "m"));
  return [
    ...AGENT_SESSION,
    { role: "assistant", content: first.text },
    { role: "user", content: "Second question." },
  ];
}

describe("short turns first through the gateway (fake-engine neuron)", () => {
  const solo = soloFakeNode("");

  it("sends a returning turn to its full node at once, and the node answers it before a cold prompt", async () => {
    const { gw } = solo;
    const next = await returningTurn(gw);
    const finished: string[] = [];
    const long = turn(gw, "m", COLD, 2).then((answer) => {
      finished.push("cold");
      return answer;
    });
    await waitFor("the cold prompt to hold the only sequence", () => busyOn(gw, "solo", "m") > 0);

    const returning = await turn(gw, "m", next, 2);
    finished.push("returning");
    await long;
    expect(returning.node).toBe("solo");
    expect(returning.cachedTokens).toBeGreaterThan(0);
    expect(finished).toEqual(["returning", "cold"]);
  });
});

describe("short turns first through the gateway to a neuron that queues nothing (queue_limit = 0)", () => {
  const solo = soloFakeNode("queue_limit = 0");

  /** Requests the neuron itself holds for `model` (its own report, not the gateway's view). */
  async function neuronInFlight(model: string): Promise<number> {
    const response = await fetch(`${solo.neuron.url}/models`);
    const body = (await response.json()) as { models: { id: string; in_flight: number }[] };
    return body.models.find((entry) => entry.id === model)?.in_flight ?? 0;
  }

  it("keeps a returning turn the full node refuses to queue waiting in the gateway, and answers it", async () => {
    const { gw } = solo;
    const next = await returningTurn(gw);
    const long = turn(gw, "m", COLD, 2);
    await waitFor("the cold prompt to hold the only sequence", async () => (await neuronInFlight("m")) > 0);
    // It jumps to the node (it is short there); the node has no queue and says so (503 queue_full):
    // that is no failure of the node, the request waits in the gateway as it would have without jumping.
    const returning = await turn(gw, "m", next, 2);
    expect(returning.node).toBe("solo");
    await long;
  });
});

describe("prefix-aware routing on real node-llama-cpp neurons", () => {
  let alpha: RealNeuron;
  let beta: RealNeuron;
  let gw: TestGateway;
  let betaOnly: TestGateway;
  const config = 'context_size = 1024\nparallel = 1\nthreads = 1\nmemory_budget = "64MiB"';

  beforeAll(async () => {
    [alpha, beta] = await Promise.all([
      startRealNeuron({ name: "alpha", models: { tiny: TINY_LLAMA }, config }),
      startRealNeuron({ name: "beta", models: { tiny: TINY_LLAMA }, config }),
    ]);
    cleanups.add(() => alpha.stop());
    cleanups.add(() => beta.stop());
    gw = await startTestGateway({
      neurons: [
        { name: "alpha", url: alpha.url },
        { name: "beta", url: beta.url },
      ],
    });
    cleanups.add(() => gw.close());
    betaOnly = await startTestGateway({ neurons: [{ name: "beta", url: beta.url }] });
    cleanups.add(() => betaOnly.close());
    // The model on both nodes: through each gateway's operator load.
    await okJson(await gw.post("/admin/models/load", { model: "tiny", node: "alpha" }));
    await okJson(await betaOnly.post("/admin/models/load", { model: "tiny", node: "beta" }));
  }, 120_000);

  it("follows the node holding the session's prefix, turn after turn (default policy)", async () => {
    const messages: Message[] = session("R");
    const first = await turn(betaOnly, "tiny", messages);
    expect(first.node).toBe("beta");
    await waitFor("the gateway to see beta's prefixes", () => seesPrefixes(gw, "beta", "tiny"));
    let history: Message[] = [...messages, { role: "assistant", content: first.text }];
    for (const question of ["Second question.", "Third question."]) {
      history = [...history, { role: "user", content: question }];
      const next = await turn(gw, "tiny", history);
      expect(next).toMatchObject({ node: "beta", route: "stick" });
      expect(next.cachedTokens).toBeGreaterThan(0);
      history = [...history, { role: "assistant", content: next.text }];
    }
  });
});
