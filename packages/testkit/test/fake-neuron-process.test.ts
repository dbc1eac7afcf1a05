import { NeuronModelsResponseSchema, type SpawnedProcess } from "@cortex/core";
import { afterEach, describe, expect, it } from "vitest";
import { getFakeStats, setFakeKnobs, spawnFakeNeuron } from "../src/fake-neuron/index.js";

const spawned: SpawnedProcess[] = [];

afterEach(async () => {
  await Promise.all(spawned.splice(0).map((process) => process.stop("SIGKILL")));
});

describe("fake neuron in its own process", () => {
  it("serves the models from its flags, takes knobs over HTTP, and dies on kill -9", async () => {
    const fake = await spawnFakeNeuron({
      name: "beta",
      memoryTotal: 64 * 1024 * 1024,
      models: [
        { id: "qwen3:0.6b", memory: 1000, loaded: true },
        { id: "llama", memory: 2000 },
      ],
    });
    spawned.push(fake);
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const models = NeuronModelsResponseSchema.parse(await (await fetch(`${fake.url}/models`)).json());
    expect(models.node).toBe("beta");
    expect(models.models.map((model) => [model.id, model.state])).toEqual([
      ["llama", "unloaded"],
      ["qwen3:0.6b", "loaded"],
    ]);

    expect(await setFakeKnobs(fake.url, { status503: true })).toMatchObject({ status503: true });
    const refused = await fetch(`${fake.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "llama", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(refused.status).toBe(503);
    expect((await getFakeStats(fake.url)).requests).toBe(1);

    fake.child.kill("SIGKILL");
    await new Promise((resolve) => fake.child.once("exit", resolve));
    await expect(fetch(`${fake.url}/health`)).rejects.toThrow(/fetch failed/);
  });

  it("exits with one line on a bad flag", async () => {
    await expect(
      spawnFakeNeuron({ name: "gamma", memoryTotal: 1, models: [{ id: "", memory: 1 }] }),
    ).rejects.toThrow(/--models: ":1" is not id:bytes\[:loaded\]/);
  });
});
