import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { fixtureModel, writeHubCache } from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNeuron, type TestNeuron } from "./neuron-harness.js";

const COMMIT = "c".repeat(40);
let cache: string;
let neuron: TestNeuron;

beforeAll(async () => {
  const hf = await fixtureModel({ arch: "qwen3", format: "hf" });
  cache = await writeHubCache({
    "cortex-test/tiny-llama-GGUF": [
      {
        commit: COMMIT,
        main: true,
        files: { "tiny-llama-Q8_0.gguf": await fixtureModel({ arch: "llama", quant: "q8_0", ends: true }) },
      },
    ],
    "cortex-test/tiny-qwen3": [
      {
        commit: COMMIT,
        main: true,
        files: Object.fromEntries((await readdir(hf)).map((name) => [name, join(hf, name)])),
      },
    ],
  });
  neuron = await startTestNeuron({
    models: { local: { arch: "llama" } },
    env: { HF_HUB_CACHE: cache },
  });
}, 120_000);

afterAll(async () => {
  await neuron?.stop();
  if (cache) await rm(cache, { recursive: true, force: true });
});

describe("a neuron on a Hugging Face hub cache", () => {
  it("lists what the cache holds under readable ids and serves it (a GGUF, and a folder converted on first load)", async () => {
    const { models } = await neuron.models();
    expect(models.map((model) => [model.id, model.source, model.state])).toEqual([
      ["local", "gguf", "unloaded"],
      ["cortex-test/tiny-llama-GGUF:Q8_0", "gguf", "unloaded"],
      ["cortex-test/tiny-qwen3", "safetensors", "unloaded"],
    ]);
    for (const model of ["cortex-test/tiny-llama-GGUF:Q8_0", "cortex-test/tiny-qwen3"]) {
      const reply = await neuron.openai.chat.completions.create({
        model,
        messages: [{ role: "user", content: "Hello" }],
        max_tokens: 4,
      });
      expect(reply.model).toBe(model);
      expect(reply.choices[0]?.message.content).toBeTruthy();
    }
    // The conversion of cortex-test/tiny-qwen3 is cached under a file-safe name (next to the KV state
    // tier's folder, `kv`, which the cache folder holds by default).
    const cached = (await readdir(join(neuron.dir, ".cortex-cache"))).sort();
    expect(cached).toEqual([expect.stringMatching(/^cortex-test@tiny-qwen3-[0-9a-f]{16}\.gguf$/), "kv"]);
  });
});

describe("hf_cache = false", () => {
  it("leaves the hub cache alone", async () => {
    const off = await startTestNeuron({
      models: { local: { arch: "llama" } },
      config: "hf_cache = false\nthreads = 1\n",
      env: { HF_HUB_CACHE: cache },
    });
    try {
      expect((await off.models()).models.map((model) => model.id)).toEqual(["local"]);
    } finally {
      await off.stop();
    }
  });
});
