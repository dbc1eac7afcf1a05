import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { StubNeuron, type StubFault } from "../cluster/stub-neuron.js";
import {
  Cleanups,
  loadedOn,
  sseReader,
  startTestGateway,
  waitFor,
  type TestGateway,
} from "./gateway-harness.js";

/**
 * A node (or whatever answers on its port: a proxy's error page, a half-written stream) that answers 200
 * with something that is not the neuron protocol (issue 11 finding 9). The gateway used to relay a
 * non-JSON body as application/json on the OpenAI path, pass non-JSON SSE frames through with no error
 * and no [DONE], and answer 500 internal_error on the Anthropic path. Every dialect now answers 502 in its
 * own envelope, and a stream the node breaks ends with the dialect's error event.
 */

const cleanups = new Cleanups();
afterAll(() => cleanups.run());

let stub: StubNeuron;
let gw: TestGateway;

beforeAll(async () => {
  stub = await StubNeuron.start({ name: "junk" });
  cleanups.add(() => stub.close());
  stub.setLoaded("m1");
  gw = await startTestGateway({ neurons: [{ name: "junk", url: stub.url }] });
  cleanups.add(() => gw.close());
  await waitFor("m1 loaded on junk", async () => loadedOn(await gw.catalog(), "m1").length > 0);
});

beforeEach(() => {
  stub.faults.clear();
});

const CHAT = "/v1/chat/completions";
const messages = [{ role: "user", content: "hi" }];
const REQUESTS = {
  openai: { path: CHAT, body: { model: "m1", messages } },
  anthropic: { path: "/v1/messages", body: { model: "m1", max_tokens: 5, messages } },
  responses: { path: "/v1/responses", body: { model: "m1", input: "hi" } },
} as const;
type Dialect = keyof typeof REQUESTS;

function fault(kind: StubFault): void {
  stub.faults.set(CHAT, kind);
}

async function send(dialect: Dialect, stream: boolean): Promise<Response> {
  const { path, body } = REQUESTS[dialect];
  return gw.post(path, { ...body, stream });
}

async function requests(dialect: Dialect, status: number): Promise<number> {
  return gw.metric("cortex_gateway_requests_total", { dialect, status: String(status) });
}

describe("a node that answers 200 with a body that is not JSON", () => {
  it("OpenAI: 502 upstream_error in OpenAI's envelope, the page not relayed", async () => {
    fault("garbage");
    const response = await send("openai", false);
    expect(response.status).toBe(502);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await response.json()) as { error: { type: string; code: string; message: string } };
    expect(body.error).toMatchObject({ type: "server_error", code: "upstream_error" });
    expect(body.error.message).toMatch(
      /^neuron junk answered with a body that is not a JSON object: "<html>/,
    );
    expect(await requests("openai", 502)).toBe(1);
    expect(await gw.metric("cortex_upstream_errors_total", { node: "junk", kind: "body" })).toBe(1);
  });

  it("Anthropic: 502 api_error in Anthropic's envelope, not 500 internal_error", async () => {
    fault("garbage");
    const response = await send("anthropic", false);
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({
      type: "error",
      error: {
        type: "api_error",
        message: expect.stringMatching(
          /^neuron junk answered with a body that is not a JSON object: "<html>/,
        ),
      },
      request_id: expect.any(String),
    });
    expect(await requests("anthropic", 502)).toBe(1);
  });

  it("Responses: 502 in OpenAI's envelope", async () => {
    fault("garbage");
    const response = await send("responses", false);
    expect(response.status).toBe(502);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: "upstream_error" });
    expect(body.error.message).toMatch(
      /^neuron junk answered with a body that is not a JSON object: "<html>/,
    );
    expect(await requests("responses", 502)).toBe(1);
  });
});

describe("a node whose stream breaks: a frame that is not JSON, or the end without [DONE]", () => {
  for (const kind of ["garbage", "truncated"] as const) {
    const what = kind === "garbage" ? /sent a chunk that is not JSON/ : /ended the stream without \[DONE\]/;

    it(`OpenAI (${kind}): the first chunk, then an upstream_error chunk and [DONE]`, async () => {
      fault(kind);
      const before = await requests("openai", 502);
      const response = await send("openai", true);
      expect(response.status).toBe(200);
      const events = await sseReader(response).read();
      expect(events.map((event) => event.data)).toEqual([
        expect.stringContaining('"content":"Hel"'),
        expect.stringContaining('"code":"upstream_error"'),
        "[DONE]",
      ]);
      const error = JSON.parse(events[1]?.data ?? "") as { error: { message: string } };
      expect(error.error.message).toMatch(/^junk failed mid-stream: /);
      expect(error.error.message).toMatch(what);
      expect(await requests("openai", 502)).toBe(before + 1);
    });

    it(`Anthropic (${kind}): the text so far, then an error event`, async () => {
      fault(kind);
      const response = await send("anthropic", true);
      expect(response.status).toBe(200);
      const events = await sseReader(response).read();
      const last = events.at(-1);
      expect(last?.event).toBe("error");
      expect(JSON.parse(last?.data ?? "")).toEqual({
        type: "error",
        error: { type: "api_error", message: expect.stringMatching(what) },
      });
      expect(events.map((event) => event.event)).not.toContain("message_stop");
      expect(events.some((event) => event.data.includes('"text":"Hel"'))).toBe(true);
    });

    it(`Responses (${kind}): response.failed, never response.completed`, async () => {
      fault(kind);
      const response = await send("responses", true);
      expect(response.status).toBe(200);
      const events = await sseReader(response).read();
      const types = events.map((event) => event.event);
      expect(types.at(-1)).toBe("response.failed");
      expect(types).not.toContain("response.completed");
      const failed = JSON.parse(events.at(-1)?.data ?? "") as {
        response: { error: { message: string } };
      };
      expect(failed.response.error.message).toMatch(what);
    });
  }
});
