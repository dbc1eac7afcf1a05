import { collectSse, startFakeNeuron } from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cleanups, MiB, startTestGateway, type TestGateway } from "./gateway-harness.js";

const cleanups = new Cleanups();
let gw: TestGateway;

const PROFILES = `
[[models]]
id = "shared"
aliases = ["gpt-4o-mini", "claude-haiku-*"]
`;

beforeAll(async () => {
  const left = await startFakeNeuron({
    name: "left",
    memoryTotal: 100 * MiB,
    models: [
      { id: "shared", memory: 10 * MiB, loaded: true, contextLength: 2048 },
      { id: "only-left", memory: 10 * MiB },
    ],
  });
  cleanups.add(() => left.close());
  const right = await startFakeNeuron({
    name: "right",
    memoryTotal: 100 * MiB,
    models: [
      { id: "shared", memory: 10 * MiB, contextLength: 8192 },
      { id: "only-right", memory: 10 * MiB },
    ],
  });
  cleanups.add(() => right.close());
  gw = await startTestGateway({
    neurons: [
      { name: "left", url: left.url },
      { name: "right", url: right.url },
    ],
    gateway: { body_limit: "4KiB" },
    models: PROFILES,
  });
  cleanups.add(() => gw.close());
});

afterAll(() => cleanups.run());

const chatBody = (extra: object = {}) => ({
  model: "shared",
  messages: [{ role: "user", content: "hi" }],
  max_tokens: 2,
  ...extra,
});

describe("the gateway's HTTP surface", () => {
  it("puts an x-request-id on every response, echoing the client's own", async () => {
    const json = { "content-type": "application/json" };
    const responses = await Promise.all([
      gw.fetch("/health"),
      gw.fetch("/v1/models"),
      gw.fetch("/v1/models/no-such-model"),
      gw.fetch("/no/such/route"),
      gw.fetch("/admin/fleet"),
      gw.fetch("/v1/chat/completions", { method: "POST", headers: json, body: JSON.stringify(chatBody()) }),
      gw.fetch("/v1/chat/completions", { method: "POST", headers: json, body: "{not json" }),
      gw.fetch("/v1/chat/completions", {
        method: "POST",
        headers: json,
        body: JSON.stringify(chatBody({ model: "nowhere" })),
      }),
      gw.fetch("/v1/messages", { method: "POST", headers: json, body: JSON.stringify({}) }),
    ]);
    expect(responses.map((response) => response.status)).toEqual([
      200, 200, 404, 404, 200, 200, 400, 404, 400,
    ]);
    const ids = responses.map((response) => response.headers.get("x-request-id"));
    for (const id of ids) expect(id).toMatch(/^req_[\w-]{8,}$/);
    expect(new Set(ids).size).toBe(ids.length);

    const streamed = await gw.fetch("/v1/chat/completions", {
      method: "POST",
      headers: { ...json, "x-request-id": "client-chosen-42" },
      body: JSON.stringify(chatBody({ stream: true })),
    });
    expect(streamed.headers.get("x-request-id")).toBe("client-chosen-42");
    expect((await collectSse(streamed.body)).at(-1)?.data).toBe("[DONE]");
    const { response } = await gw
      .openai()
      .chat.completions.create(chatBody() as never, { headers: { "x-request-id": "sdk-7" } })
      .withResponse();
    expect(response.headers.get("x-request-id")).toBe("sdk-7");
  });

  it("refuses a body over body_limit with 413 in the route's dialect", async () => {
    const big = JSON.stringify(chatBody({ messages: [{ role: "user", content: "x".repeat(8 * 1024) }] }));
    const openai = await gw.fetch("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: big,
    });
    expect(openai.status).toBe(413);
    expect(openai.headers.get("x-request-id")).toMatch(/^req_/);
    expect(await openai.json()).toEqual({
      error: {
        message: "request body too large",
        type: "invalid_request_error",
        param: null,
        code: "request_too_large",
      },
    });
    const anthropic = await gw.fetch("/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: big,
    });
    expect(anthropic.status).toBe(413);
    const id = anthropic.headers.get("x-request-id");
    expect(await anthropic.json()).toEqual({
      type: "error",
      error: { type: "request_too_large", message: "request body too large" },
      request_id: id,
    });
    // The official client gets the same status; a body under the limit still goes through.
    await expect(gw.openai().chat.completions.create(JSON.parse(big) as never)).rejects.toMatchObject({
      status: 413,
      code: "request_too_large",
    });
    expect((await gw.openai().chat.completions.create(chatBody() as never)).choices).toHaveLength(1);
  });

  it("lists every node's models and the aliases in /v1/models, with where each is loaded", async () => {
    const catalog = await gw.catalog();
    expect(catalog.map((entry) => [entry.id, entry.alias_of, entry.loaded_on])).toEqual([
      ["only-left", null, []],
      ["only-right", null, []],
      ["shared", null, ["left"]],
      ["gpt-4o-mini", "shared", ["left"]],
    ]);
    const shared = catalog.find((entry) => entry.id === "shared");
    expect(shared).toMatchObject({
      object: "model",
      owned_by: "cortex",
      state: "loaded",
      context_length: 8192,
      nodes: [
        { node: "left", state: "loaded", in_flight: 0, context_length: 2048 },
        { node: "right", state: "unloaded", in_flight: 0, context_length: 8192 },
      ],
    });
    expect(catalog.find((entry) => entry.id === "only-right")?.nodes).toEqual([
      { node: "right", state: "unloaded", in_flight: 0, context_length: 4096, last_used: null },
    ]);
    // Residency: the idle TTL in force (cortex.toml's default here: never), pins and replicas.
    expect(catalog.find((entry) => entry.id === "only-right")).toMatchObject({
      last_used: null,
      idle_unload_ms: 0,
      pinned: false,
      replicas: { min: 1, max: 1 },
    });

    // The official client pages through the same list; an alias is served by its model.
    const ids: string[] = [];
    for await (const model of gw.openai().models.list()) ids.push(model.id);
    expect(ids).toEqual(["only-left", "only-right", "shared", "gpt-4o-mini"]);
    const viaAlias = await gw.openai().chat.completions.create(chatBody({ model: "gpt-4o-mini" }) as never);
    expect(viaAlias.choices[0]?.message.content).toBe("tok0 tok1");
    expect((await gw.openai().models.retrieve("gpt-4o-mini")).id).toBe("gpt-4o-mini");
  });

  it("answers /v1/models in Anthropic's shape when anthropic-version is sent", async () => {
    const response = await gw.get("/v1/models", { "anthropic-version": "2023-06-01" });
    expect(await response.json()).toEqual({
      data: [
        { type: "model", id: "only-left", display_name: "only-left", created_at: "1970-01-01T00:00:00.000Z" },
        {
          type: "model",
          id: "only-right",
          display_name: "only-right",
          created_at: "1970-01-01T00:00:00.000Z",
        },
        { type: "model", id: "shared", display_name: "shared", created_at: "1970-01-01T00:00:00.000Z" },
        {
          type: "model",
          id: "gpt-4o-mini",
          display_name: "gpt-4o-mini (shared)",
          created_at: "1970-01-01T00:00:00.000Z",
        },
      ],
      has_more: false,
      first_id: "only-left",
      last_id: "gpt-4o-mini",
    });
    const page = await gw.anthropic().models.list({ limit: 2 });
    expect(page.data.map((model) => model.id)).toEqual(["only-left", "only-right"]);
    expect(page.has_more).toBe(true);
    const ids: string[] = [];
    for await (const model of gw.anthropic().models.list({ limit: 2 })) ids.push(model.id);
    expect(ids).toEqual(["only-left", "only-right", "shared", "gpt-4o-mini"]);
  });

  it("lists the request fields a translation dropped or adjusted in x-cortex-warnings", async () => {
    const body = {
      model: "shared",
      max_tokens: 2,
      tools: [{ type: "web_search_20250305", name: "web_search" }],
      messages: [{ role: "user", content: "hi" }],
    };
    const headers = { "content-type": "application/json", "anthropic-version": "2023-06-01" };
    const plain = await gw.fetch("/v1/messages", { method: "POST", headers, body: JSON.stringify(body) });
    expect(plain.status).toBe(200);
    expect(plain.headers.get("x-cortex-warnings")).toBe("tools[0]");
    const streamed = await gw.fetch("/v1/messages", {
      method: "POST",
      headers,
      body: JSON.stringify({ ...body, stream: true }),
    });
    expect(streamed.headers.get("x-cortex-warnings")).toBe("tools[0]");
    expect((await collectSse(streamed.body)).at(-1)?.event).toBe("message_stop");
    const clean = await gw.post("/v1/messages", { ...body, tools: [] }, headers);
    expect(clean.headers.get("x-cortex-warnings")).toBeNull();
  });
});
