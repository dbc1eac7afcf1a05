import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LifecycleResponseSchema, NeuronInfoSchema } from "@cortex/core";
import { fixtureModel } from "@cortex/testkit";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNeuron, type TestNeuron } from "./neuron-harness.js";

let neuron: TestNeuron;

beforeAll(async () => {
  const broken = await readFile(
    await fixtureModel({ arch: "qwen3moe", omitKeys: ["qwen3moe.expert_count"] }),
  );
  // An interrupted copy: header and tensor table intact, the last tensor's data cut short.
  const whole = await readFile(await fixtureModel({ arch: "qwen3" }));
  const truncated = whole.subarray(0, whole.length - 1000);
  neuron = await startTestNeuron({
    models: { tiny: { arch: "llama", quant: "q8_0" }, other: { arch: "qwen3" } },
    files: { "broken-moe.gguf": broken, "garbage.gguf": "this is not a gguf file", "cut.gguf": truncated },
  });
  // Folders appear after start: the neuron rescans models_dir on its own.
  await mkdir(join(neuron.dir, "some-hf-model"));
  await writeFile(join(neuron.dir, "some-hf-model", "config.json"), JSON.stringify({ model_type: "gemma" }));
});

afterAll(async () => {
  await neuron?.stop();
});

const load = async (model: string): Promise<Response> => neuron.post("/models/load", { model });

describe("neuron lifecycle API", () => {
  it("reports health and discovery", async () => {
    expect(await (await neuron.get("/health")).json()).toEqual({ status: "ok" });
    const info = NeuronInfoSchema.parse(await (await neuron.get("/info")).json());
    expect(info.backend).toBe("cpu");
    expect(info.threads).toBe(1);
    expect(info.supported.gguf_architectures).toEqual(["llama", "qwen3", "qwen3moe"]);
    expect(info.ram_total).toBeGreaterThan(0);
  });

  it("lists models with metadata, and broken files as failed with the reason", async () => {
    // The folder was added after start-up: wait for a rescan to pick it up (condition, not a fixed sleep).
    let listing = await neuron.models();
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; listing = await neuron.models()) {
      if (listing.unsupported.some((entry) => entry.path === "some-hf-model")) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const { models, unsupported } = listing;
    const tiny = models.find((model) => model.id === "tiny");
    expect(tiny).toMatchObject({
      source: "gguf",
      architecture: "llama",
      quantization: "Q8_0",
      state: "unloaded",
    });
    expect(tiny?.parameters).toBeGreaterThan(100_000);
    expect(tiny?.train_context_length).toBe(131072);
    expect(tiny?.memory_estimate).toBeGreaterThan(0);
    const broken = models.find((model) => model.id === "broken-moe");
    expect(broken?.state).toBe("failed");
    expect(broken?.error).toMatch(/qwen3moe\.expert_count/);
    expect(models.find((model) => model.id === "garbage")?.state).toBe("failed");
    // A truncated file whose header is intact is caught at scan, not when llama.cpp loads it.
    expect(models.find((model) => model.id === "cut")).toMatchObject({
      state: "failed",
      error: expect.stringMatching(
        /^truncated GGUF: tensor data ends at byte \d+ but the file has \d+ bytes/,
      ),
    });
    expect(unsupported.map((entry) => entry.path)).toContain("some-hf-model");
    // The daemon is still alive after looking at a file that would abort llama.cpp.
    const refused = await load("broken-moe");
    expect(refused.status).toBe(500);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("model_load_failed");
    expect((await neuron.get("/health")).status).toBe(200);
  });

  it("rejects model ids that are paths", async () => {
    for (const model of ["../../etc/passwd", "/etc/passwd", ".hidden"]) {
      const response = await load(model);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
    }
    expect((await load("no-such-model")).status).toBe(404);
  });

  it("makes concurrent loads of one model a single load, and is idempotent", async () => {
    const responses = await Promise.all([load("other"), load("other"), load("other")]);
    for (const response of responses) {
      expect(response.status).toBe(200);
      expect(LifecycleResponseSchema.parse(await response.json()).model.state).toBe("loaded");
    }
    expect((await load("other")).status).toBe(200);
    expect(await neuron.metric("cortex_neuron_model_loads_total", { model: "other", result: "ok" })).toBe(1);
    const unloaded = LifecycleResponseSchema.parse(
      await (await neuron.post("/models/unload", { model: "other" })).json(),
    );
    expect(unloaded.model.state).toBe("unloaded");
    expect((await neuron.post("/models/unload", { model: "other" })).status).toBe(200);
  });

  it("unload waits for an in-flight stream; force aborts it", async () => {
    await load("tiny");
    const stream = await neuron.openai.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 300,
      stream: true,
    });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const unloading = neuron.post("/models/unload", { model: "tiny" });
    let tokens = 0;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) tokens++;
    expect(tokens).toBeGreaterThan(100);
    expect((await unloading).status).toBe(200);

    await load("tiny");
    const second = await neuron.openai.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 100_000,
      stream: true,
    });
    const secondIterator = second[Symbol.asyncIterator]();
    await secondIterator.next();
    const forced = await neuron.post("/models/unload", { model: "tiny", force: true });
    expect(forced.status).toBe(200);
    await expect(
      (async () => {
        for (let next = await secondIterator.next(); !next.done; next = await secondIterator.next());
      })(),
    ).rejects.toThrow(/unloaded/);
  });

  it('requests for random model names are counted under model="unknown", never a label each', async () => {
    for (let index = 0; index < 10; index++) {
      const response = await neuron.post("/v1/chat/completions", {
        model: `no-such-model-${index}`,
        messages: [{ role: "user", content: "hi" }],
      });
      expect(response.status).toBe(404);
    }
    const scrape = await (await neuron.get("/metrics")).text();
    expect(scrape).not.toMatch(/no-such-model/);
    const labels = { model: "unknown", endpoint: "chat", status: "404" };
    expect(await neuron.metric("cortex_neuron_requests_total", labels)).toBe(10);
  });

  it("loads a model on demand for a chat request", async () => {
    await neuron.post("/models/unload", { model: "other" });
    const completion = await neuron.openai.chat.completions.create({
      model: "other",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 3,
    });
    expect(completion.usage?.completion_tokens).toBe(3);
    expect((await neuron.models()).models.find((model) => model.id === "other")?.state).toBe("loaded");
  });
});

describe("hostile input", () => {
  it("a JSON body nested 100k deep is a 400, not a 500", async () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const response = await fetch(`${neuron.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"model":"tiny","messages":${deep}}`,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
  });

  it("more than 16 stop sequences are refused (the gateway forwards Anthropic's, so not OpenAI's 4)", async () => {
    const stops = (count: number): string[] => Array.from({ length: count }, (_, index) => `stop-${index}`);
    const body = (count: number): object => ({
      model: "tiny",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 1,
      stop: stops(count),
    });
    const refused = await neuron.post("/v1/chat/completions", body(20_000));
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { param: string } }).error.param).toBe("stop");
    const completion = await neuron.post("/v1/completions", { model: "tiny", prompt: "hi", stop: stops(17) });
    expect(((await completion.json()) as { error: { message: string } }).error.message).toMatch(/at most 16/);
    expect((await neuron.post("/v1/chat/completions", body(16))).status).toBe(200);
  });

  it("a client x-request-id is echoed only when it is short and of a safe charset", async () => {
    const safe = await fetch(`${neuron.url}/health`, { headers: { "x-request-id": "gw-req_42" } });
    expect(safe.headers.get("x-request-id")).toBe("gw-req_42");
    const unsafe = await fetch(`${neuron.url}/health`, { headers: { "x-request-id": "<img src=x>" } });
    expect(unsafe.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]+$/);
  });
});

describe("memory budget", () => {
  it("refuses a load that does not fit with needed vs free", async () => {
    const small = await startTestNeuron({
      models: { tiny: { arch: "qwen3" } },
      config: 'context_size = 4096\nthreads = 1\nmemory_budget = "1MiB"\n',
    });
    try {
      const response = await small.post("/models/load", { model: "tiny" });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBeTruthy();
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("insufficient_memory");
      expect(body.error.message).toMatch(/needs [\d.]+ \w+, [\d.]+ \w+ free/);
      const info = NeuronInfoSchema.parse(await (await small.get("/info")).json());
      expect(info.memory).toMatchObject({ source: "budget", total: 1024 * 1024, used: 0 });
    } finally {
      await small.stop();
    }
  });
});

describe("shutdown", () => {
  it("finishes or aborts in-flight streams and exits 0 on SIGTERM", async () => {
    const instance = await startTestNeuron({
      models: { tiny: { arch: "llama" } },
      env: { CORTEX_SHUTDOWN_GRACE_MS: "300" },
    });
    const stream = await instance.openai.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 100_000,
      stream: true,
    });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const exit = instance.stop();
    const drained = (async () => {
      try {
        for (let next = await iterator.next(); !next.done; next = await iterator.next());
      } catch {
        // an error event or a closed socket: both end the stream instead of hanging
      }
    })();
    await drained;
    expect(await exit).toBe(0);
  });
});
