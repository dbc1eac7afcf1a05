import { validateResponsesEvents } from "@cortex/core";
import { collectSse, spawnFakeNeuron, startFakeNeuron, type FakeNeuron } from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Cleanups,
  MiB,
  loadedOn,
  okJson,
  startTestGateway,
  waitFor,
  type TestGateway,
} from "./gateway-harness.js";

const cleanups = new Cleanups();
afterAll(() => cleanups.run());

const PREFER_FIRST = `
[[models]]
id = "m"
preferred_nodes = ["a-first"]
`;

async function fake(name: string, loaded: boolean, extra: string[] = []): Promise<FakeNeuron> {
  const node = await startFakeNeuron({
    name,
    memoryTotal: 100 * MiB,
    models: [{ id: "m", memory: 10 * MiB, loaded }, ...extra.map((id) => ({ id, memory: 10 * MiB }))],
  });
  cleanups.add(() => node.close());
  return node;
}

async function gateway(...args: Parameters<typeof startTestGateway>): Promise<TestGateway> {
  const started = await startTestGateway(...args);
  cleanups.add(() => started.close());
  return started;
}

const hello = [{ role: "user" as const, content: "hello" }];

describe("failover and stream failures", () => {
  let first: FakeNeuron;
  let second: FakeNeuron;
  let gw: TestGateway;

  /** Both nodes idle, as the gateway sees them: the next request goes to the preferred a-first. */
  const idle = async (): Promise<void> => {
    await first.waitFor(() => first.stats().inFlight.m === 0);
    await second.waitFor(() => second.stats().inFlight.m === 0);
    await waitFor("the gateway to see every node idle", async () => {
      const fleet = (await okJson(await gw.get("/admin/fleet"))) as {
        nodes: { name: string; models: { id: string; in_flight: number }[] }[];
      };
      return fleet.nodes.every((node) => node.models.every((model) => model.in_flight === 0));
    });
  };

  beforeAll(async () => {
    first = await fake("a-first", true);
    second = await fake("b-second", true);
    gw = await gateway({
      neurons: [
        { name: "a-first", url: first.url },
        { name: "b-second", url: second.url },
      ],
      models: PREFER_FIRST,
      // Which node a request goes to must not depend on where earlier tests left the prompt's prefix
      // (every request here says "hello"): load and preference decide, as these tests assert.
      scheduler: { routing: "least-busy" },
    });
  });

  it("routes to the least busy node where the model is loaded, before the preferred one", async () => {
    first.set({ stallAfterTokens: 1 });
    const abort = new AbortController();
    const { data: busy, response } = await gw
      .openai()
      .chat.completions.create(
        { model: "m", messages: hello, max_tokens: 5, stream: true },
        { signal: abort.signal },
      )
      .withResponse();
    expect(response.headers.get("x-cortex-node")).toBe("a-first");
    await busy[Symbol.asyncIterator]().next();
    first.set({ stallAfterTokens: null });
    const { data: next, response: nextResponse } = await gw
      .openai()
      .chat.completions.create({ model: "m", messages: hello, max_tokens: 1, stream: true })
      .withResponse();
    expect(nextResponse.headers.get("x-cortex-node")).toBe("b-second");
    for await (const chunk of next) expect(chunk.model).toBe("m");
    abort.abort();
    await idle();
  });

  it("retries a node that answers 503 before the first byte on another node", async () => {
    const before = [first.stats().requests, second.stats().requests];
    first.set({ status503: true });
    const answer = await gw.openai().chat.completions.create({ model: "m", messages: hello, max_tokens: 2 });
    expect(answer.choices[0]?.message.content).toBe("tok0 tok1");
    const { data: stream, response } = await gw
      .openai()
      .chat.completions.create({ model: "m", messages: hello, max_tokens: 2, stream: true })
      .withResponse();
    expect(response.headers.get("x-cortex-node")).toBe("b-second");
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("tok0 tok1");
    first.set({ status503: false });

    expect([first.stats().requests, second.stats().requests]).toEqual([before[0]! + 2, before[1]! + 2]);
    expect(await gw.metric("cortex_upstream_errors_total", { node: "a-first", kind: "status" })).toBe(2);
  });

  it("ends a stream whose node drops mid-way with an error event and [DONE], not a hang", async () => {
    await idle();
    const secondBefore = second.stats().requests;
    first.set({ dropAfterTokens: 3 });
    const response = await gw.post("/v1/chat/completions", {
      model: "m",
      messages: hello,
      max_tokens: 10,
      stream: true,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-cortex-node")).toBe("a-first");
    const messages = (await collectSse(response.body)).map((message) => message.data);
    const content = messages
      .slice(0, -2)
      .map(
        (data) =>
          (JSON.parse(data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content,
      )
      .join("");
    expect(content).toBe("tok0 tok1 tok2");
    expect(messages.at(-1)).toBe("[DONE]");
    expect(JSON.parse(messages.at(-2) ?? "")).toEqual({
      error: {
        message: expect.stringMatching(/^a-first failed mid-stream: /),
        type: "server_error",
        param: null,
        code: "upstream_error",
      },
    });

    // The official client surfaces the error event as an exception instead of waiting forever.
    const stream = await gw
      .openai()
      .chat.completions.create({ model: "m", messages: hello, max_tokens: 10, stream: true });
    const received: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? "");
      })(),
    ).rejects.toThrow(/a-first failed mid-stream/);
    expect(received.join("")).toBe("tok0 tok1 tok2");
    // In the Anthropic dialect the stream ends with an `error` event instead.
    await idle();
    const anthropic = await gw.fetch("/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "m", messages: hello, max_tokens: 10, stream: true }),
    });
    expect(anthropic.status).toBe(200);
    const events = await collectSse(anthropic.body);
    expect(events[0]?.event).toBe("message_start");
    expect(events.at(-1)?.event).toBe("error");
    expect(JSON.parse(events.at(-1)?.data ?? "")).toEqual({
      type: "error",
      error: { type: "api_error", message: expect.stringMatching(/^upstream failed mid-stream: /) },
    });
    // In the Responses dialect it ends with response.failed, the open item left without its .done.
    await idle();
    const responses = await gw.fetch("/v1/responses", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", input: "hello", max_output_tokens: 10, stream: true }),
    });
    expect(responses.status).toBe(200);
    const wire = (await collectSse(responses.body)).map((message) => ({
      event: message.event ?? null,
      data: JSON.parse(message.data) as { type: string; response?: { error: unknown } },
    }));
    expect(validateResponsesEvents(wire)).toEqual([]);
    expect(wire.at(-1)?.data).toMatchObject({
      type: "response.failed",
      response: {
        error: { code: "server_error", message: expect.stringMatching(/^upstream failed mid-stream: /) },
      },
    });
    first.set({ dropAfterTokens: null });
    // Failures after the first byte are never retried elsewhere.
    expect(second.stats().requests).toBe(secondBefore);
  });

  it("aborts the generation on the neuron when the client disconnects mid-stream", async () => {
    await idle();
    const abortedBefore = first.stats().aborted;
    const labels = { model: "m", status: "499" };
    const recordedBefore = await gw.metric("cortex_gateway_requests_total", labels);
    first.set({ tokenDelayMs: 20 });
    const abort = new AbortController();
    const stream = await gw
      .openai()
      .chat.completions.create(
        { model: "m", messages: hello, max_tokens: 1_000, stream: true },
        { signal: abort.signal },
      );
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.next();
    expect(first.stats().inFlight.m).toBe(1);
    abort.abort();
    await first.waitFor(() => first.stats().aborted === abortedBefore + 1 && first.stats().inFlight.m === 0);
    first.set({ tokenDelayMs: 0 });
    await waitFor(
      "the gateway to record the abandoned request",
      async () => (await gw.metric("cortex_gateway_requests_total", labels)) === recordedBefore + 1,
    );
  });
});

describe("a node that stops answering", () => {
  it("fails over a refused connection to another node", async () => {
    const doomed = await fake("a-first", true);
    const spare = await fake("b-second", true);
    // No polls after the first: the gateway still believes a-first is up when it refuses.
    const gw = await gateway({
      neurons: [
        { name: "a-first", url: doomed.url },
        { name: "b-second", url: spare.url },
      ],
      fleet: { poll_interval: "1h" },
      models: PREFER_FIRST,
    });
    await doomed.close();
    const answer = await gw.openai().chat.completions.create({ model: "m", messages: hello, max_tokens: 2 });
    expect(answer.choices[0]?.message.content).toBe("tok0 tok1");
    expect(spare.stats().requests).toBe(1);
    expect(await gw.metric("cortex_upstream_errors_total", { node: "a-first", kind: "connect" })).toBe(1);
  });

  it("loads a cold model on another node when the node it picked has just been killed (issue 11 finding 2)", async () => {
    const doomed = await spawnFakeNeuron({
      name: "a-doomed",
      memoryTotal: 100 * MiB,
      models: [{ id: "m", memory: 10 * MiB }],
    });
    cleanups.add(() => doomed.stop("SIGKILL"));
    const spare = await fake("b-spare", false);
    // No polls after the first: the gateway still believes a-doomed is up, and prefers it.
    const gw = await gateway({
      neurons: [
        { name: "a-doomed", url: doomed.url },
        { name: "b-spare", url: spare.url },
      ],
      fleet: { poll_interval: "1h" },
      models: `[[models]]\nid = "m"\npreferred_nodes = ["a-doomed"]\n`,
    });
    await doomed.stop("SIGKILL");

    const { data: answer, response } = await gw
      .openai()
      .chat.completions.create({ model: "m", messages: hello, max_tokens: 2 })
      .withResponse();
    expect(answer.choices[0]?.message.content).toBe("tok0 tok1");
    expect(response.headers.get("x-cortex-node")).toBe("b-spare");
    expect(spare.stats().loads.m).toBe(1);
    const decisions = await gw.decisions();
    expect(decisions.map((decision) => [decision.kind, decision.node])).toEqual([
      ["load", "a-doomed"],
      ["load_failed", "a-doomed"],
      ["load", "b-spare"],
    ]);
  });

  it("drops a killed node's models from /v1/models once it is down and serves them elsewhere", async () => {
    const crashy = await spawnFakeNeuron({
      name: "crashy",
      memoryTotal: 100 * MiB,
      models: [
        { id: "m", memory: 10 * MiB, loaded: true },
        { id: "only-crashy", memory: 10 * MiB },
      ],
    });
    cleanups.add(() => crashy.stop("SIGKILL"));
    const standby = await fake("standby", false);
    const gw = await gateway({
      neurons: [
        { name: "crashy", url: crashy.url },
        { name: "standby", url: standby.url },
      ],
      fleet: { down_after: 1 },
    });
    const before = await gw.catalog();
    expect(before.map((entry) => entry.id)).toEqual(["m", "only-crashy"]);
    expect(loadedOn(before, "m")).toEqual(["crashy"]);

    crashy.child.kill("SIGKILL");
    await waitFor("the killed node's models to leave /v1/models", async () => {
      const catalog = await gw.catalog();
      return !catalog.some((entry) => entry.id === "only-crashy");
    });
    const after = await gw.catalog();
    expect(after.map((entry) => entry.id)).toEqual(["m"]);
    expect(after[0]?.nodes.map((placement) => placement.node)).toEqual(["standby"]);
    const fleet = (await okJson(await gw.get("/admin/fleet"))) as {
      nodes: { name: string; state: string }[];
    };
    expect(fleet.nodes.find((node) => node.name === "crashy")?.state).toBe("down");

    const { data: stream, response } = await gw
      .openai()
      .chat.completions.create({ model: "m", messages: hello, max_tokens: 3, stream: true })
      .withResponse();
    expect(response.headers.get("x-cortex-node")).toBe("standby");
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("tok0 tok1 tok2");
    expect(standby.stats().loads.m).toBe(1);
    // Its only node is down, not gone: "come back later", not "no such model".
    const gone = await gw.post("/v1/chat/completions", { model: "only-crashy", messages: hello });
    expect(gone.status).toBe(503);
    expect(gone.headers.get("retry-after")).toBe("10");
    expect(await gone.json()).toMatchObject({
      error: {
        code: "node_unavailable",
        message: "model only-crashy is served only by crashy, which is down",
      },
    });
    expect((await gw.post("/v1/chat/completions", { model: "never-was", messages: hello })).status).toBe(404);
  });
});
