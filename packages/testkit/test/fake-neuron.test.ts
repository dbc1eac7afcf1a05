import {
  LifecycleResponseSchema,
  NeuronInfoSchema,
  NeuronModelsResponseSchema,
  TokenizeResponseSchema,
} from "@cortex/core";
import { afterEach, describe, expect, it } from "vitest";
import { collectSse } from "../src/collect-sse.js";
import { startFakeNeuron, type FakeNeuron, type FakeNeuronOptions } from "../src/fake-neuron/index.js";
import { chat, getJson, openai, post, readMessages, readUntilError } from "./fake-neuron-helpers.js";

const MiB = 1024 * 1024;
const running: FakeNeuron[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((fake) => fake.close()));
});

async function start(overrides: Partial<FakeNeuronOptions> = {}): Promise<FakeNeuron> {
  const fake = await startFakeNeuron({
    name: "alpha",
    memoryTotal: 100 * MiB,
    models: [
      { id: "warm", memory: 30 * MiB, loaded: true },
      { id: "cold", memory: 50 * MiB, contextLength: 2048 },
      { id: "huge", memory: 80 * MiB },
    ],
    ...overrides,
  });
  running.push(fake);
  return fake;
}

describe("fake neuron protocol", () => {
  it("answers /health, /info and /models in the neuron schemas", async () => {
    const fake = await start();
    expect(await getJson(fake, "/health")).toEqual({ status: "ok" });

    const info = NeuronInfoSchema.strict().parse(await getJson(fake, "/info"));
    expect(info).toMatchObject({ node: "alpha", backend: "cpu", gpus: [] });
    expect(info.memory).toEqual({
      total: 100 * MiB,
      used: 30 * MiB,
      free: 70 * MiB,
      headroom: 0,
      source: "budget",
    });

    const models = NeuronModelsResponseSchema.strict().parse(await getJson(fake, "/models"));
    // The neuron lists its models by id.
    expect(models.models.map((model) => [model.id, model.state, model.memory_estimate])).toEqual([
      ["cold", "unloaded", 50 * MiB],
      ["huge", "unloaded", 80 * MiB],
      ["warm", "loaded", 30 * MiB],
    ]);
    expect(models.models[0]?.context_length).toBe(2048);
  });

  it("loads and unloads in the lifecycle schema and accounts memory", async () => {
    const fake = await start();
    const loaded = LifecycleResponseSchema.parse(
      await (await post(fake, "/models/load", { model: "cold" })).json(),
    );
    expect(loaded.model).toMatchObject({ id: "cold", state: "loaded", in_flight: 0 });
    expect(NeuronInfoSchema.parse(await getJson(fake, "/info")).memory.used).toBe(80 * MiB);

    const again = await post(fake, "/models/load", { model: "cold" });
    expect(again.status).toBe(200);
    const unloaded = LifecycleResponseSchema.parse(
      await (await post(fake, "/models/unload", { model: "cold" })).json(),
    );
    expect(unloaded.model.state).toBe("unloaded");
    expect(fake.stats()).toMatchObject({
      loads: { cold: 1 },
      loadRequests: { cold: 2 },
      unloads: { cold: 1 },
    });
  });

  it("counts whitespace words on /tokenize", async () => {
    const fake = await start();
    const response = await post(fake, "/tokenize", {
      model: "warm",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: [{ type: "text", text: "one two  three" }] },
      ],
    });
    const body = TokenizeResponseSchema.parse(await response.json());
    expect(body.count).toBe(5);
    expect(body.tokens).toHaveLength(5);
    const prompt = TokenizeResponseSchema.parse(
      await (await post(fake, "/tokenize", { model: "warm", prompt: "a b" })).json(),
    );
    expect(prompt.count).toBe(2);
  });

  it("rejects unknown models and bad bodies with OpenAI error envelopes", async () => {
    const fake = await start();
    const missing = await post(fake, "/v1/chat/completions", chat("nope"));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: {
        message: "model nope not found on this node",
        type: "invalid_request_error",
        param: "model",
        code: "model_not_found",
      },
    });
    const bad = await post(fake, "/models/load", { modle: "warm" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
  });

  it("requires the token on every route but /health", async () => {
    const fake = await start({ token: "s3cret" });
    expect((await fetch(`${fake.url}/health`)).status).toBe(200);
    const denied = await fetch(`${fake.url}/info`);
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
    const allowed = await fetch(`${fake.url}/info`, { headers: { authorization: "Bearer s3cret" } });
    expect(allowed.status).toBe(200);
  });

  it("lists models on /v1/models", async () => {
    const fake = await start();
    const list = (await getJson(fake, "/v1/models")) as {
      object: string;
      data: { id: string; object: string }[];
    };
    expect(list.object).toBe("list");
    expect(list.data.map((model) => model.id)).toEqual(["cold", "huge", "warm"]);
    expect(list.data.every((model) => model.object === "model")).toBe(true);
  });
});

describe("fake neuron chat completions", () => {
  it("answers tok0..tok(max_tokens-1) with finish length, loading a cold model on demand", async () => {
    const fake = await start();
    const completion = await openai(fake).chat.completions.create({
      model: "cold",
      messages: [{ role: "user", content: "three little words" }],
      max_tokens: 3,
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]?.message.content).toBe("tok0 tok1 tok2");
    expect(completion.choices[0]?.finish_reason).toBe("length");
    expect(completion.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });
    expect(fake.stats()).toMatchObject({
      loads: { cold: 1 },
      requests: 1,
      aborted: 0,
      inFlight: { cold: 0 },
    });
    expect(fake.model("cold")?.state).toBe("loaded");
  });

  it("streams the exact OpenAI chunk sequence with a usage chunk and [DONE]", async () => {
    const fake = await start();
    const response = await post(
      fake,
      "/v1/chat/completions",
      chat("warm", { stream: true, max_tokens: 2, stream_options: { include_usage: true } }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const messages = await collectSse(response.body);
    expect(messages.every((message) => message.event === undefined)).toBe(true);
    expect(messages.at(-1)?.data).toBe("[DONE]");
    const chunks = messages
      .slice(0, -1)
      .map((message) => JSON.parse(message.data) as Record<string, unknown>);
    const id = chunks[0]?.["id"];
    expect(id).toMatch(/^chatcmpl-/);
    const head = { id, object: "chat.completion.chunk", created: expect.any(Number), model: "warm" };
    const choice = (delta: object, finish: string | null = null) => [
      { index: 0, delta, logprobs: null, finish_reason: finish },
    ];
    expect(chunks).toEqual([
      { ...head, choices: choice({ role: "assistant", content: "" }), usage: null },
      { ...head, choices: choice({ content: "tok0" }), usage: null },
      { ...head, choices: choice({ content: " tok1" }), usage: null },
      { ...head, choices: choice({}, "length"), usage: null },
      {
        ...head,
        choices: [],
        usage: {
          prompt_tokens: 3,
          completion_tokens: 2,
          total_tokens: 5,
          prompt_tokens_details: { cached_tokens: 0 },
        },
      },
    ]);
  });

  it("streams in a shape the openai SDK reads, and ends with stop on replyText", async () => {
    const fake = await start({ knobs: { replyText: "Hello there, friend." } });
    const stream = await openai(fake).chat.completions.create({
      model: "warm",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    let text = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe("Hello there, friend.");
    expect(finish).toBe("stop");
  });
});

describe("fake neuron knobs", () => {
  it("answers 503 no_capacity with Retry-After when status503 is set over HTTP", async () => {
    const fake = await start();
    const set = await post(fake, "/__fake/knobs", { status503: true });
    expect(set.status).toBe(200);
    const response = await post(fake, "/v1/chat/completions", chat("warm"));
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("no_capacity");
    expect(fake.stats().requests).toBe(1);

    const typo = await post(fake, "/__fake/knobs", { status530: true });
    expect(typo.status).toBe(400);
  });

  it("refuses a load that does not fit with insufficient_memory", async () => {
    const fake = await start();
    const response = await post(fake, "/models/load", { model: "huge" });
    expect(response.status).toBe(503);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("insufficient_memory");
    expect(error.message).toContain("needs 80 MiB, 70 MiB free");
    expect(fake.stats().loads.huge).toBe(0);
    expect(fake.model("huge")?.state).toBe("unloaded");
  });

  it("runs out of memory during a load with oomOnLoad, and fails loads with failLoad", async () => {
    const fake = await start();
    fake.set({ oomOnLoad: true });
    const oom = await post(fake, "/models/load", { model: "cold" });
    expect(oom.status).toBe(503);
    expect(((await oom.json()) as { error: { code: string } }).error.code).toBe("insufficient_memory");
    expect(fake.model("cold")?.state).toBe("unloaded");

    fake.set({ oomOnLoad: false, failLoad: "corrupt weights" });
    const failed = await post(fake, "/v1/chat/completions", chat("cold"));
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({
      error: { code: "model_load_failed", message: expect.stringContaining("corrupt weights") as unknown },
    });
    expect(fake.model("cold")).toMatchObject({
      state: "failed",
      error: expect.stringContaining("corrupt weights") as unknown,
    });
    expect(fake.stats()).toMatchObject({ loads: { cold: 2 }, failedLoads: { cold: 2 } });
    expect(NeuronInfoSchema.parse(await getJson(fake, "/info")).memory.used).toBe(30 * MiB);
  });

  it("destroys the socket after dropAfterTokens, before any byte at 0, without counting a client abort", async () => {
    const fake = await start({ knobs: { dropAfterTokens: 2 } });
    const response = await post(fake, "/v1/chat/completions", chat("warm", { stream: true }));
    expect(response.status).toBe(200);
    const { messages, error } = await readUntilError(response);
    expect(messages.map((message) => message.data)).toEqual([
      expect.stringContaining('"role":"assistant"'),
      expect.stringContaining('"content":"tok0"'),
      expect.stringContaining('"content":" tok1"'),
    ]);
    expect(error).toBeInstanceOf(Error);

    fake.set({ dropAfterTokens: 0 });
    await expect(post(fake, "/v1/chat/completions", chat("warm", { stream: true }))).rejects.toThrow(
      /fetch failed/,
    );
    await fake.waitFor(() => fake.stats().inFlight.warm === 0);
    expect(fake.stats().aborted).toBe(0);
  });

  it("stalls after stallAfterTokens until the client leaves, and counts the abort", async () => {
    const fake = await start({ knobs: { stallAfterTokens: 2 } });
    const client = new AbortController();
    const response = await post(fake, "/v1/chat/completions", chat("warm", { stream: true }), {
      signal: client.signal,
    });
    const messages = await readMessages(response, 3);
    expect(messages.map((message) => JSON.parse(message.data) as unknown)).toMatchObject([
      { choices: [{ delta: { role: "assistant" } }] },
      { choices: [{ delta: { content: "tok0" } }] },
      { choices: [{ delta: { content: " tok1" } }] },
    ]);
    expect(fake.stats().inFlight.warm).toBe(1);
    client.abort();
    await fake.waitFor(() => fake.stats().aborted === 1 && fake.stats().inFlight.warm === 0);
  });
});

describe("fake neuron lifecycle", () => {
  it("makes concurrent loads of one model a single load", async () => {
    const fake = await start({ knobs: { holdLoads: true } });
    const loads = Array.from({ length: 5 }, () => post(fake, "/models/load", { model: "cold" }));
    await fake.waitFor(() => fake.stats().loadRequests.cold === 5);
    expect(fake.model("cold")?.state).toBe("loading");
    fake.set({ holdLoads: false });
    const responses = await Promise.all(loads);
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    expect(fake.stats().loads.cold).toBe(1);
  });

  it("unload waits for in-flight requests of the model", async () => {
    const fake = await start({ knobs: { stallAfterTokens: 1 } });
    const client = new AbortController();
    const stream = await post(fake, "/v1/chat/completions", chat("warm", { stream: true }), {
      signal: client.signal,
    });
    await readMessages(stream, 2);
    let clientLeft = false;
    const unload = post(fake, "/models/unload", { model: "warm" }).then(async (response) => {
      expect(clientLeft).toBe(true);
      return LifecycleResponseSchema.parse(await response.json());
    });
    await fake.waitFor(() => fake.model("warm")?.state === "unloading");
    expect(fake.stats().inFlight.warm).toBe(1);
    clientLeft = true;
    client.abort();
    expect((await unload).model.state).toBe("unloaded");
    expect(fake.stats()).toMatchObject({ unloads: { warm: 1 }, aborted: 1, inFlight: { warm: 0 } });
  });

  it("force-unloads by aborting in-flight streams with an error chunk", async () => {
    const fake = await start({ knobs: { stallAfterTokens: 1 } });
    const stream = await post(fake, "/v1/chat/completions", chat("warm", { stream: true }));
    const unloaded = await post(fake, "/models/unload", { model: "warm", force: true });
    expect(LifecycleResponseSchema.parse(await unloaded.json()).model.state).toBe("unloaded");
    const messages = await collectSse(stream.body);
    expect(messages.at(-1)?.data).toBe("[DONE]");
    expect(JSON.parse(messages.at(-2)?.data ?? "{}")).toMatchObject({ error: { code: "request_aborted" } });
    expect(fake.stats()).toMatchObject({ aborted: 1, unloads: { warm: 1 } });
  });
});
