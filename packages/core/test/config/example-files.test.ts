import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  loadCortexConfig,
  loadModelsConfig,
  loadNeuronConfig,
  resolveModelId,
} from "../../src/config/index.js";

const root = fileURLToPath(new URL("../../../../", import.meta.url));

describe("example config files", () => {
  it("cortex.example.toml parses and points at two local neurons and the example models", async () => {
    const config = await loadCortexConfig(`${root}cortex.example.toml`);
    expect(config.neurons).toEqual([
      { name: "local-a", endpoint: "http://127.0.0.1:13131", token: undefined },
      { name: "local-b", endpoint: "http://127.0.0.1:13132", token: undefined },
    ]);
    expect(config.gateway.modelsFile).toBe(`${root}models.example.toml`);
  });

  it("models.example.toml parses and maps claude ids to local models", async () => {
    const config = await loadModelsConfig(`${root}models.example.toml`);
    expect(config.models.map((model) => model.id)).toEqual(["qwen3-tiny", "llama-tiny"]);
    expect(config.models[0]).toMatchObject({ replicas: { min: 1, max: 2 }, idleUnload: 30 * 60_000 });
    expect(resolveModelId(config, "claude-haiku-4-5").id).toBe("qwen3-tiny");
    expect(resolveModelId(config, "claude-sonnet-4-5").id).toBe("llama-tiny");
    expect(resolveModelId(config, "claude-3-5-haiku-20241022").id).toBe("qwen3-tiny");
    expect(resolveModelId(config, "claude-future-9").id).toBe("llama-tiny");
  });

  it("neuron.example.toml parses", async () => {
    const config = await loadNeuronConfig(`${root}neuron.example.toml`);
    expect(config.modelsDir).toBe(`${root}models`);
    expect(config.models["qwen3-tiny"]).toEqual({ contextSize: 4096, gpuLayers: 10, parallel: 4 });
  });

  it("the cortex example sets every key the defaults have", async () => {
    const config = await loadCortexConfig(`${root}cortex.example.toml`);
    expect(config.timeouts).toEqual({
      connect: 5000,
      firstByte: 300_000,
      idle: 120_000,
      load: 600_000,
      request: 60_000,
    });
    expect(config.responses).toEqual({ storeSize: 64 * 1024 * 1024, storeMaxAge: 24 * 3600_000 });
    expect(config.scheduler).toEqual({
      queueLimit: 64,
      headroom: 0,
      routing: "prefix",
      idleUnload: 0,
      replicaAfter: 2000,
      replicaIdle: 300_000,
      swapQuantum: 30_000,
    });
  });
});
