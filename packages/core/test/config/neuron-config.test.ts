import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { defaultNeuronConfig, parseNeuronConfig } from "../../src/config/index.js";
import { issuesOf } from "./config-issues.js";

const parse = (text: string) => parseNeuronConfig(text, "neuron.toml", "/srv/neuron");

describe("neuron.toml", () => {
  it("fills every default, with paths under the base directory", () => {
    expect(defaultNeuronConfig("/work")).toEqual({
      name: hostname(),
      listen: { host: "0.0.0.0", port: 13131 },
      modelsDir: "/work/models",
      cacheDir: "/work/models/.cortex-cache",
      modelDirs: [],
      hfCache: true,
      hfCacheDir: undefined,
      threads: 0,
      batchThreads: 0,
      parallel: 2,
      contextSize: 8192,
      memoryBudget: undefined,
      memoryHeadroom: 0,
      gpu: "auto",
      gpuLayers: "auto",
      queueLimit: 32,
      authToken: undefined,
      requestTimeout: 60_000,
      maxConnections: 1024,
      kvCache: {
        ram: "auto",
        disk: 8 * 1024 ** 3,
        dir: "/work/models/.cortex-cache/kv",
        minTokens: 256,
        restore: "auto",
      },
      models: {},
    });
  });

  it("derives cache_dir and kv_cache.dir from a models dir given outside the file", () => {
    const flagged = parseNeuronConfig("", "neuron.toml", "/srv/neuron", { modelsDir: "/data/models" });
    expect(flagged).toMatchObject({
      modelsDir: "/data/models",
      cacheDir: "/data/models/.cortex-cache",
      kvCache: { dir: "/data/models/.cortex-cache/kv" },
    });
    const explicit = parseNeuronConfig(
      `cache_dir = "cache"\n[kv_cache]\ndir = "/fast/kv"`,
      "neuron.toml",
      "/srv",
      {
        modelsDir: "/data/models",
      },
    );
    expect(explicit).toMatchObject({ cacheDir: "/srv/cache", kvCache: { dir: "/fast/kv" } });
  });

  it("takes the KV state tier's bounds", () => {
    expect(parse(`[kv_cache]\nram = "2GiB"\ndisk = "0"\nmin_tokens = 64`).kvCache).toMatchObject({
      ram: 2 * 1024 ** 3,
      disk: 0,
      minTokens: 64,
    });
    expect(issuesOf(() => parse(`[kv_cache]\nram = "lots"\nmin_tokens = 0\ndisc = 1`))).toEqual([
      'neuron.toml: kv_cache.ram: expected "auto" or a byte size: invalid byte size "lots" (e.g. "512MiB", "1.5GiB", "800k" or a number of bytes)',
      "neuron.toml: kv_cache.min_tokens: must be >= 1 (got 0)",
      'neuron.toml: kv_cache.disc: unknown key (did you mean "disk"?)',
    ]);
  });

  it("normalizes values and resolves paths against the file's directory", () => {
    const config = parse(`
      name = "beast"
      listen = "127.0.0.1:0"
      models_dir = "../models"
      cache_dir = "/var/cache/cortex"
      model_dirs = ["shared", "/mnt/models"]
      hf_cache = false
      hf_cache_dir = "hf"
      memory_budget = "64MiB"
      memory_headroom = "256MiB"
      gpu = "cpu"
      gpu_layers = "max"
      auth_token = "t"
      [models."Qwen/Qwen3-0.6B"]
      gpu_layers = 0
    `);
    expect(config).toMatchObject({
      name: "beast",
      listen: { host: "127.0.0.1", port: 0 },
      modelsDir: "/srv/models",
      cacheDir: "/var/cache/cortex",
      modelDirs: ["/srv/neuron/shared", "/mnt/models"],
      hfCache: false,
      hfCacheDir: "/srv/neuron/hf",
      memoryBudget: 64 * 1024 ** 2,
      memoryHeadroom: 256 * 1024 ** 2,
      gpu: "cpu",
      gpuLayers: "max",
      authToken: "t",
    });
    expect(config.models["Qwen/Qwen3-0.6B"]).toEqual({
      contextSize: undefined,
      gpuLayers: 0,
      parallel: undefined,
    });
    expect(Object.isFrozen(config.models)).toBe(true);
  });

  it("reports problems in per-model overrides with quoted keys in the path", () => {
    expect(
      issuesOf(() =>
        parse(`
          parallel = 65
          gpu = "rocm"
          gpu_layers = "all"
          [models."org/model.gguf"]
          context = 4096
          parallel = 0
        `),
      ),
    ).toEqual([
      "neuron.toml: parallel: must be <= 64 (got 65)",
      'neuron.toml: gpu: must be one of auto, cuda, vulkan, metal, cpu (got "rocm")',
      'neuron.toml: gpu_layers: expected "auto", "max" or an integer >= 0 (got "all")',
      'neuron.toml: models."org/model.gguf".parallel: must be >= 1 (got 0)',
      'neuron.toml: models."org/model.gguf".context: unknown key (did you mean "context_size"?)',
    ]);
  });

  it("refuses a per-model override named __proto__ instead of dropping it (found by the config fuzzer)", () => {
    // A record built key by key turns `__proto__` into the object's prototype: the override vanished.
    expect(issuesOf(() => parse(`[models.__proto__]\nparallel = 4`))).toEqual([
      expect.stringContaining("__proto__"),
    ]);
  });

  it("reports an unknown top-level key and a bad memory size", () => {
    expect(issuesOf(() => parse(`memory_budjet = "1GiB"\nmemory_headroom = -5`))).toEqual([
      "neuron.toml: memory_headroom: invalid byte size -5 (expected a whole number of bytes >= 0)",
      'neuron.toml: memory_budjet: unknown key (did you mean "memory_budget"?)',
    ]);
  });

  it("takes thread counts per phase, auto (0) by default", () => {
    expect(parse(`threads = 1\nbatch_threads = 4`)).toMatchObject({ threads: 1, batchThreads: 4 });
    expect(parse(`threads = "auto"\nbatch_threads = "auto"`)).toMatchObject({ threads: 0, batchThreads: 0 });
    expect(parse(`threads = 0`)).toMatchObject({ threads: 0 });
    expect(issuesOf(() => parse(`threads = -1\nbatch_threads = 0`))).toEqual([
      'neuron.toml: threads: expected "auto" or an integer from 0 to 1024 (0 = auto) (got -1)',
      'neuron.toml: batch_threads: expected "auto" or an integer from 1 to 1024 (got 0)',
    ]);
  });
});
