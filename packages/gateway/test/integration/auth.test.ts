import { startFakeNeuron, type FakeNeuron } from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cleanups, MiB, okJson, startTestGateway, type TestGateway } from "./gateway-harness.js";

const cleanups = new Cleanups();
let secure: FakeNeuron;
let special: FakeNeuron;
let gw: TestGateway;

const NEURON_TOKEN = "neuron-secret";

beforeAll(async () => {
  secure = await startFakeNeuron({
    name: "secure",
    memoryTotal: 100 * MiB,
    models: [{ id: "m", memory: 10 * MiB, loaded: true }],
    token: NEURON_TOKEN,
  });
  cleanups.add(() => secure.close());
  special = await startFakeNeuron({
    name: "special",
    memoryTotal: 100 * MiB,
    models: [{ id: "only-special", memory: 10 * MiB, loaded: true }],
    token: "its-own-token",
  });
  cleanups.add(() => special.close());
  gw = await startTestGateway({
    neurons: [
      { name: "secure", url: secure.url },
      { name: "special", url: special.url, token: "its-own-token" },
    ],
    gateway: { api_keys: ["sk-alpha", "sk-beta"], admin_key: "admin-secret", neuron_token: NEURON_TOKEN },
  });
  cleanups.add(() => gw.close());
});

afterAll(() => cleanups.run());

const chat = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 2 });
const message = JSON.stringify({ model: "m", max_tokens: 2, messages: [{ role: "user", content: "hi" }] });

function post(path: string, body: string, headers: Record<string, string>): Promise<Response> {
  return gw.fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

describe("client keys", () => {
  it("answers a missing or invalid key with 401 in the OpenAI envelope on the OpenAI routes", async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, "missing API key (Authorization: Bearer <key> or x-api-key)"],
      [{ authorization: "Bearer sk-wrong" }, "invalid API key"],
      [{ "x-api-key": "sk-wrong" }, "invalid API key"],
      [{ authorization: "Bearer admin-secret" }, "invalid API key"],
    ];
    for (const [headers, text] of cases) {
      const response = await post("/v1/chat/completions", chat, headers);
      expect(response.status).toBe(401);
      expect(response.headers.get("x-request-id")).toMatch(/^req_/);
      expect(await response.json()).toEqual({
        error: { message: text, type: "authentication_error", param: null, code: "invalid_api_key" },
      });
    }
    expect((await gw.get("/v1/models", {})).status).toBe(401);
    // Unknown routes too: without a key, nothing says which routes exist.
    const unknown = await gw.get("/v1/no-such-route", {});
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get("x-request-id")).toMatch(/^req_/);
    expect((await gw.get("/v1/no-such-route", { authorization: "Bearer sk-alpha" })).status).toBe(404);
    // Refused before the body is read: a bad body without a key is a 401, not a 400.
    const unread = await post("/v1/no-such-route", "{not json", {});
    expect(unread.status).toBe(401);
    expect(await unread.json()).toMatchObject({ error: { code: "invalid_api_key" } });
    expect(secure.stats().requests).toBe(0);
    await expect(
      gw
        .openai("sk-wrong")
        .chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    ).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
  });

  it("answers a missing or invalid key with 401 in the Anthropic envelope on /v1/messages", async () => {
    const cases: Record<string, string>[] = [
      {},
      { "x-api-key": "sk-wrong" },
      { authorization: "Bearer sk-wrong" },
    ];
    for (const headers of cases) {
      const response = await post("/v1/messages", message, { "anthropic-version": "2023-06-01", ...headers });
      expect(response.status).toBe(401);
      const id = response.headers.get("request-id");
      expect(await response.json()).toEqual({
        type: "error",
        error: { type: "authentication_error", message: expect.stringMatching(/^(missing|invalid) API key/) },
        request_id: id,
      });
    }
    await expect(
      gw.anthropic("sk-wrong").messages.create({
        model: "m",
        max_tokens: 2,
        messages: [{ role: "user", content: "hi" }],
      }),
    ).rejects.toMatchObject({
      status: 401,
      error: { type: "error", error: { type: "authentication_error" } },
    });
  });

  it("accepts a key as Authorization: Bearer or as x-api-key, through a token-protected neuron", async () => {
    const viaBearer = await gw.openai("sk-alpha").chat.completions.create(JSON.parse(chat) as never);
    expect(viaBearer.choices[0]?.message.content).toBe("tok0 tok1");
    const viaHeader = await post("/v1/chat/completions", chat, { "x-api-key": "sk-beta" });
    expect(viaHeader.status).toBe(200);
    const viaAnthropic = await gw.anthropic("sk-beta").messages.create({
      model: "m",
      max_tokens: 2,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(viaAnthropic.content).toEqual([{ type: "text", text: "tok0 tok1" }]);
    expect((await gw.get("/health", {})).status).toBe(200);
    expect(secure.stats().requests).toBe(3);
    // A neuron with its own token in [[neurons]] is served too.
    const own = await gw.openai("sk-alpha").chat.completions.create({
      model: "only-special",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 1,
    });
    expect(own.choices[0]?.message.content).toBe("tok0");
  });
});

describe("admin key", () => {
  it("guards /admin/* with admin_key; API keys do not grant admin", async () => {
    const cases: Record<string, string>[] = [
      {},
      { authorization: "Bearer sk-alpha" },
      { "x-api-key": "sk-beta" },
      { authorization: "Bearer wrong" },
    ];
    for (const headers of cases) {
      const fleet = await gw.get("/admin/fleet", headers);
      expect(fleet.status).toBe(401);
      expect(((await fleet.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
      expect((await post("/admin/models/pin", JSON.stringify({ model: "m" }), headers)).status).toBe(401);
    }
    expect((await gw.get("/admin/fleet", { authorization: "Bearer admin-secret" })).status).toBe(200);
    expect((await gw.get("/admin/decisions", { "x-api-key": "admin-secret" })).status).toBe(200);
    const pinned = await post("/admin/models/pin", JSON.stringify({ model: "m" }), {
      authorization: "Bearer admin-secret",
    });
    expect(await okJson(pinned)).toMatchObject({ model: "m", pinned: true, nodes: [expect.any(String)] });
  });
});

describe("neuron token", () => {
  it("is required by the neuron, and a gateway without it never sees the node up", async () => {
    expect((await fetch(`${secure.url}/models`)).status).toBe(401);
    expect(
      (await fetch(`${secure.url}/models`, { headers: { authorization: `Bearer ${NEURON_TOKEN}` } })).status,
    ).toBe(200);

    const tokenless = await startTestGateway({ neurons: [{ name: "secure", url: secure.url }] });
    cleanups.add(() => tokenless.close());
    const fleet = (await okJson(await tokenless.get("/admin/fleet"))) as {
      nodes: { name: string; state: string; error: string | null }[];
    };
    expect(fleet.nodes).toEqual([
      expect.objectContaining({
        name: "secure",
        state: "down",
        error: expect.stringMatching(/neuron token/),
      }),
    ]);
    expect(await tokenless.catalog()).toEqual([]);
    const refused = await tokenless.post("/v1/chat/completions", JSON.parse(chat));
    expect(refused.status).toBe(404);
  });
});

describe("dashboard events", () => {
  it("/ui/events needs a client key when api_keys are set and admin_key is not, like /admin/*", async () => {
    const keysOnly = await startTestGateway({
      neurons: [{ name: "secure", url: secure.url }],
      gateway: { api_keys: ["sk-alpha"], neuron_token: NEURON_TOKEN },
    });
    cleanups.add(() => keysOnly.close());
    for (const path of ["/admin/fleet", "/ui/events", "/ui/events?key=wrong"]) {
      const refused = await keysOnly.get(path, {});
      expect(refused.status, path).toBe(401);
      await refused.body?.cancel();
    }
    for (const path of ["/ui/events?key=sk-alpha", "/ui/events"]) {
      const controller = new AbortController();
      const events = await keysOnly.fetch(path, {
        headers: path.includes("?") ? {} : { authorization: "Bearer sk-alpha" },
        signal: controller.signal,
      });
      expect(events.status, path).toBe(200);
      controller.abort();
    }
    // With an admin key only the admin key opens it (as before).
    expect((await gw.get("/ui/events?key=sk-alpha", {})).status).toBe(401);
  });
});
