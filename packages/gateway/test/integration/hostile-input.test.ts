import type { FakeNeuron } from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cleanups, startOneModelNeuron, startTestGateway, type TestGateway } from "./gateway-harness.js";

/** Hostile request bodies and headers (issue 11, finding 10): a clear 4xx in the client's dialect. */
const cleanups = new Cleanups();
let neuron: FakeNeuron;
let gw: TestGateway;

beforeAll(async () => {
  neuron = await startOneModelNeuron(cleanups);
  gw = await startTestGateway({ neurons: [{ name: "alpha", url: neuron.url }] });
  cleanups.add(() => gw.close());
});

afterAll(() => cleanups.run());

interface OpenAIError {
  error: { code: string; param: string | null; message: string };
}
interface AnthropicError {
  type: string;
  error: { type: string; message: string };
}

const anthropicHeaders = { "content-type": "application/json", "anthropic-version": "2023-06-01" };

function postRaw(path: string, body: string, headers: Record<string, string>): Promise<Response> {
  return gw.fetch(path, { method: "POST", headers, body });
}

describe("hostile input", () => {
  it("a JSON body nested 100k deep is a 400 in each dialect, not a 500", async () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const openai = await postRaw("/v1/chat/completions", `{"model":"m","messages":${deep}}`, {
      "content-type": "application/json",
    });
    expect(openai.status).toBe(400);
    expect(((await openai.json()) as OpenAIError).error.code).toBe("invalid_request");
    const anthropic = await postRaw(
      "/v1/messages",
      `{"model":"m","max_tokens":1,"messages":${deep}}`,
      anthropicHeaders,
    );
    expect(anthropic.status).toBe(400);
    expect(((await anthropic.json()) as AnthropicError).error.type).toBe("invalid_request_error");
    expect(neuron.stats().requests).toBe(0);
  });

  it("20,000 stop sequences are refused in each dialect before reaching a node", async () => {
    const stops = Array.from({ length: 20_000 }, (_, index) => `stop-${index}`);
    const openai = await gw.post("/v1/chat/completions", {
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      stop: stops,
    });
    expect(openai.status).toBe(400);
    expect(((await openai.json()) as OpenAIError).error.param).toBe("stop");
    const anthropic = await gw.post(
      "/v1/messages",
      { model: "m", max_tokens: 1, messages: [{ role: "user", content: "hi" }], stop_sequences: stops },
      anthropicHeaders,
    );
    expect(anthropic.status).toBe(400);
    expect(((await anthropic.json()) as AnthropicError).error.message).toMatch(/stop_sequences/);
    expect(neuron.stats().requests).toBe(0);
  });

  it("OpenAI requests keep OpenAI's limit of 4 stop sequences; a stop sequence longer than 256 characters is refused", async () => {
    const five = await gw.post("/v1/chat/completions", {
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      stop: ["a", "b", "c", "d", "e"],
    });
    expect(five.status).toBe(400);
    expect(((await five.json()) as OpenAIError).error.message).toMatch(/at most 4/);
    const long = await gw.post("/v1/completions", { model: "m", prompt: "hi", stop: "x".repeat(257) });
    expect(long.status).toBe(400);
    const anthropicLong = await gw.post(
      "/v1/messages",
      {
        model: "m",
        max_tokens: 1,
        messages: [{ role: "user", content: "hi" }],
        stop_sequences: ["y".repeat(257)],
      },
      anthropicHeaders,
    );
    expect(anthropicLong.status).toBe(400);
    // Within the limits, requests go through.
    const ok = await gw.post("/v1/chat/completions", {
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 1,
      stop: ["a", "b", "c", "d"],
    });
    expect(ok.status).toBe(200);
  });

  it("a client x-request-id is echoed only when it is short and of a safe charset, else one is generated", async () => {
    const echoed = await gw.fetch("/health", { headers: { "x-request-id": "client-req_01.ABC:42" } });
    expect(echoed.headers.get("x-request-id")).toBe("client-req_01.ABC:42");
    for (const unsafe of ["<script>alert(1)</script>", "a b", "x".repeat(129), "id\u00e9", "line\\nbreak"]) {
      const response = await gw.fetch("/health", { headers: { "x-request-id": unsafe } });
      expect(response.headers.get("x-request-id"), unsafe).toMatch(/^req_[0-9a-f]+$/);
    }
  });
});
