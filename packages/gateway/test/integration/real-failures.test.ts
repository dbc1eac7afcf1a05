import type { SseMessage } from "@cortex/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Cleanups,
  okJson,
  sseReader,
  startTestGateway,
  waitFor,
  type TestGateway,
} from "./gateway-harness.js";
import { TINY_LLAMA, startRealNeuron, type RealNeuron } from "./real-neuron.js";

/**
 * One sequence per model and replies that run to max_tokens: a 6000-token reply takes the tiny model
 * many seconds, so a stream is reliably still running when the test cuts it.
 */
const NEURON_CONFIG = "context_size = 8192\nparallel = 1\nthreads = 1";
const LONG = 6_000;

const cleanups = new Cleanups();
let x: RealNeuron;
let y: RealNeuron;
let gw: TestGateway;

beforeAll(async () => {
  [x, y] = await Promise.all([
    startRealNeuron({
      name: "x",
      models: { shared: TINY_LLAMA, "only-x": TINY_LLAMA },
      config: NEURON_CONFIG,
    }),
    startRealNeuron({ name: "y", models: { shared: TINY_LLAMA }, config: NEURON_CONFIG }),
  ]);
  cleanups.add(() => x.stop());
  cleanups.add(() => y.stop());
  gw = await startTestGateway({
    neurons: [
      { name: "x", url: x.url },
      { name: "y", url: y.url },
    ],
    fleet: { down_after: 1 },
    models: `[[models]]\nid = "shared"\npreferred_nodes = ["x"]\n`,
  });
  cleanups.add(() => gw.close());
  await okJson(await gw.post("/admin/models/load", { model: "shared" }));
}, 120_000);

afterAll(() => cleanups.run());

const messages = [{ role: "user" as const, content: "Tell me a long story." }];

const hasContent = (message: SseMessage): boolean =>
  message.data !== "[DONE]" &&
  ((JSON.parse(message.data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta
    ?.content ?? "") !== "";

describe("real neurons that go away", () => {
  it("frees the neuron's only sequence when the client disconnects mid-stream", async () => {
    const abort = new AbortController();
    const { data: stream, response } = await gw
      .openai()
      .chat.completions.create(
        { model: "shared", messages, max_tokens: LONG, stream: true },
        { signal: abort.signal },
      )
      .withResponse();
    expect(response.headers.get("x-cortex-node")).toBe("x");
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) break;
    expect((await x.model("shared"))?.in_flight).toBe(1);
    abort.abort();

    await waitFor(
      "the neuron to end the abandoned generation",
      async () => {
        const model = await x.model("shared");
        return (
          model?.in_flight === 0 &&
          (await x.metric("cortex_neuron_requests_total", { model: "shared" })) === 1
        );
      },
      5_000,
    );
    expect(await x.metric("cortex_neuron_completion_tokens_total", { model: "shared" })).toBeLessThan(LONG);
    // parallel = 1: this would queue behind the whole long reply if the generation had gone on.
    const started = Date.now();
    const next = await gw.openai().chat.completions.create({ model: "shared", messages, max_tokens: 4 });
    expect(next.choices[0]?.finish_reason).toBe("length");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("ends a stream from a neuron killed mid-way with an error event and [DONE]", async () => {
    const response = await gw.post("/v1/chat/completions", {
      model: "shared",
      messages,
      max_tokens: LONG,
      stream: true,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-cortex-node")).toBe("x");
    const stream = sseReader(response);
    const before = await stream.read(hasContent);
    expect(before.length).toBeGreaterThan(0);

    x.process.child.kill("SIGKILL");
    const killedAt = Date.now();
    const after = await stream.read();
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    expect(after.at(-1)?.data).toBe("[DONE]");
    expect(JSON.parse(after.at(-2)?.data ?? "")).toEqual({
      error: {
        message: expect.stringMatching(/^x failed mid-stream: /),
        type: "server_error",
        param: null,
        code: "upstream_error",
      },
    });
    const tokens = [...before, ...after.slice(0, -2)].filter(hasContent).length;
    expect(tokens).toBeGreaterThan(0);
    expect(tokens).toBeLessThan(LONG);
  });

  it("drops the dead node's models from /v1/models and serves new requests from another node", async () => {
    await waitFor("the poller to mark x down", async () => {
      const catalog = await gw.catalog();
      return !catalog.some((entry) => entry.id === "only-x");
    });
    const catalog = await gw.catalog();
    expect(catalog.map((entry) => [entry.id, entry.nodes.map((placement) => placement.node)])).toEqual([
      ["shared", ["y"]],
    ]);
    const fleet = (await okJson(await gw.get("/admin/fleet"))) as {
      nodes: { name: string; state: string }[];
    };
    expect(fleet.nodes.map((node) => [node.name, node.state])).toEqual([
      ["x", "down"],
      ["y", "up"],
    ]);

    const { data: stream, response } = await gw
      .openai()
      .chat.completions.create({ model: "shared", messages, max_tokens: 4, stream: true })
      .withResponse();
    expect(response.headers.get("x-cortex-node")).toBe("y");
    let finish: string | null = null;
    for await (const chunk of stream) finish = chunk.choices[0]?.finish_reason ?? finish;
    expect(finish).toBe("length");
    expect((await y.model("shared"))?.state).toBe("loaded");
    const onlyX = await gw.post("/v1/chat/completions", { model: "only-x", messages });
    expect([404, 503]).toContain(onlyX.status);
  });
});
