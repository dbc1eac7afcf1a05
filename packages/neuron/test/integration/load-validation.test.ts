import { NeuronModelsResponseSchema } from "@cortex/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNeuron, type TestNeuron } from "./neuron-harness.js";

/**
 * `POST /models/load` with a hostile `context_size` (issue 11, finding 1). Before the fix a huge value
 * reached node-llama-cpp's memory simulation, which allocated ~23 GB and got the neuron OOM-killed. The
 * neuron runs under `ulimit -v` here, so a regression fails this test instead of taking the machine down.
 */
let neuron: TestNeuron;

beforeAll(async () => {
  neuron = await startTestNeuron({
    models: { "qwen3-tiny": { arch: "qwen3" } },
    config: 'context_size = 4096\nparallel = 2\nthreads = 1\nmemory_budget = "64MiB"\n',
    memoryLimitKb: 4_000_000,
  });
});

afterAll(async () => {
  await neuron?.stop();
});

interface ErrorBody {
  error: { code: string; message: string; param: string | null };
}

async function modelEntry(): Promise<{ state: string; context_length: number | null }> {
  const listing = NeuronModelsResponseSchema.parse(await (await neuron.get("/models")).json());
  const entry = listing.models.find((model) => model.id === "qwen3-tiny");
  if (!entry) throw new Error("qwen3-tiny not listed");
  return entry;
}

describe("hostile context_size on POST /models/load", () => {
  it("a context beyond the model's trained context is refused with 400 and allocates nothing", async () => {
    const response = await neuron.post("/models/load", {
      model: "qwen3-tiny",
      context_size: 1_000_000_000_000,
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.param).toBe("context_size");
    expect(body.error.message).toMatch(/131072/);
    expect(await modelEntry()).toMatchObject({ state: "unloaded", context_length: 4096 });
    expect((await neuron.get("/health")).status).toBe(200);
  });

  it("a non-integer context is refused with 400", async () => {
    for (const context_size of [1.5, "4096", -1, 0]) {
      const response = await neuron.post("/models/load", { model: "qwen3-tiny", context_size });
      expect(response.status).toBe(400);
      expect(((await response.json()) as ErrorBody).error.param).toBe("context_size");
    }
  });

  it("a context whose KV cache cannot fit the budget is refused and leaves the model's settings as they were", async () => {
    const response = await neuron.post("/models/load", { model: "qwen3-tiny", context_size: 131072 });
    expect(response.status).toBe(503);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.code).toBe("insufficient_memory");
    expect(await modelEntry()).toMatchObject({ state: "unloaded", context_length: 4096 });
    // The next plain load uses the configured context, not the refused one.
    const plain = await neuron.post("/models/load", { model: "qwen3-tiny" });
    expect(plain.status).toBe(200);
    expect(await modelEntry()).toMatchObject({ state: "loaded", context_length: 4096 });
  });
});
