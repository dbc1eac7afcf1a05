import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NeuronModelsResponseSchema, type SpawnedProcess } from "@cortex/core";
import { fixtureModel, spawnNeuron } from "@cortex/testkit";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let dir: string;
let neuron: SpawnedProcess;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cortex-hf-serve-"));
  const models = join(dir, "models");
  await writeFile(
    join(dir, "neuron.toml"),
    `context_size = 4096\nparallel = 2\nthreads = 1\ncache_dir = "cache"\n`,
  );
  await mkdir(models);
  // As `neuron synth-model --arch qwen3moe --format hf --out models/tiny-moe` would leave it (linked, not copied).
  await symlink(await fixtureModel({ arch: "qwen3moe", format: "hf" }), join(models, "tiny-moe"));
  neuron = await spawnNeuron({ modelsDir: models, config: join(dir, "neuron.toml") });
});
afterAll(async () => {
  await neuron?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function models() {
  return NeuronModelsResponseSchema.parse(await (await fetch(`${neuron.url}/models`)).json());
}

describe("neuron serve with a Hugging Face folder in models_dir", () => {
  it("lists it, converts it on first use and streams a chat completion through the openai client", async () => {
    expect((await models()).models).toEqual([
      expect.objectContaining({
        id: "tiny-moe",
        source: "safetensors",
        architecture: "qwen3_moe",
        quantization: "F32",
        state: "unloaded",
      }),
    ]);

    const openai = new OpenAI({ baseURL: `${neuron.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const stream = await openai.chat.completions.create({
      model: "tiny-moe",
      messages: [{ role: "user", content: "Hello there, how are you?" }],
      max_tokens: 12,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let completionTokens = 0;
    const finishes: string[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
      if (chunk.usage) completionTokens = chunk.usage.completion_tokens;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finishes).toEqual(["length"]);
    expect(completionTokens).toBe(12);

    expect((await models()).models[0]).toMatchObject({ id: "tiny-moe", state: "loaded", error: null });
    // The KV state tier keeps its own folder (kv/) in the same cache_dir.
    expect((await readdir(join(dir, "cache"))).filter((name) => name !== "kv")).toEqual([
      expect.stringMatching(/^tiny-moe-[0-9a-f]{16}\.gguf$/),
    ]);
  });
});
