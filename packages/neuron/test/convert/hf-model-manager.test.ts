import { cp, mkdir, readdir, readFile, rm, stat, symlink, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CortexError, type ModelState, type NeuronModel } from "@cortex/core";
import { fixtureModel } from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LlamaCppEngine } from "../../src/engine/llama-cpp/llama-cpp-engine.js";
import { MemoryBudget } from "../../src/models/memory-budget.js";
import { ModelManager } from "../../src/models/model-manager.js";
import { makeTempDir } from "../synth/synth-test-runtime.js";

const never = new AbortController().signal;
const SETTINGS = { contextSize: 4096, parallel: 2, gpuLayers: 0 } as const;

let engine: LlamaCppEngine;
let root: string;
let cleanup: () => Promise<void>;
let moeFolder: string;
beforeAll(async () => {
  engine = new LlamaCppEngine({
    gpu: "cpu",
    threads: { decode: 1, batch: 1 },
    queueLimit: 4,
    log: () => {},
  });
  ({ dir: root, cleanup } = await makeTempDir());
  moeFolder = await fixtureModel({ arch: "qwen3moe", format: "hf", dtype: "f32" });
});
const managers: ModelManager[] = [];
afterAll(async () => {
  // Dispose models before the engine, also when a test failed halfway (docs/node-llama-cpp.md §7.6).
  await Promise.all(managers.map((manager) => manager.unloadAll(true)));
  await engine.dispose();
  await cleanup();
});

let dirs = 0;
/** A fresh models dir (filled by `prepare`) and cache dir, with a manager on the real engine. */
async function setup(prepare: (modelsDir: string) => Promise<void>, budget = 1e9) {
  const modelsDir = join(root, `models-${++dirs}`);
  const cacheDir = join(root, `cache-${dirs}`);
  await mkdir(modelsDir);
  await prepare(modelsDir);
  const states: { model: string; state: ModelState; listed?: NeuronModel }[] = [];
  const hooks: { onConverting?: (model: string) => void } = {};
  const manager: ModelManager = new ModelManager({
    modelsDir,
    cacheDir,
    engine,
    budget: new MemoryBudget({ source: "budget", limit: budget, headroom: 0, device: { total: 0, free: 0 } }),
    defaults: SETTINGS,
    overrides: {},
    now: () => 0,
    log: () => {},
    onStateChange: (model, state) => {
      states.push({ model, state, listed: manager.list().find((m) => m.id === model) });
      if (state === "converting") hooks.onConverting?.(model);
    },
  });
  managers.push(manager);
  await manager.refresh(true);
  const cached = async (): Promise<string[]> => (await readdir(cacheDir).catch(() => [])).sort();
  return { modelsDir, cacheDir, manager, states, hooks, cached };
}

async function copyFolder(
  target: string,
  arch: "llama" | "qwen3moe" = "qwen3moe",
  shards = 1,
): Promise<void> {
  await cp(await fixtureModel({ arch, format: "hf", dtype: "f32", shards }), target, { recursive: true });
}

async function editJson(path: string, change: (json: Record<string, unknown>) => void): Promise<void> {
  const json = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  change(json);
  await writeFile(path, JSON.stringify(json));
}

describe("ModelManager with Hugging Face folders (real engine)", () => {
  it("lists a folder with its type, dtype, size and estimate, converts on first load, then reuses the cache", async () => {
    const { modelsDir, cacheDir, manager, states, cached } = await setup(async (dir) => {
      await symlink(moeFolder, join(dir, "moe"));
    });
    const size = (await readFile(join(moeFolder, "model.safetensors"))).length;
    // All F32: 683,328 parameters × 4 bytes, plus F16 K+V for 2 layers × 2 kv heads × 32 dims × 4096 × 2.
    const estimate = 683_328 * 4 + 2 * 2 * 32 * 2 * 2 * 4096 * 2;
    expect(manager.list()).toEqual([
      expect.objectContaining({
        id: "moe",
        source: "safetensors",
        architecture: "qwen3_moe",
        quantization: "F32",
        parameters: 683_328,
        file_size: size,
        train_context_length: 131_072,
        memory_estimate: estimate,
        state: "unloaded",
        error: null,
      }),
    ]);

    const loaded = await manager.load("moe", {}, never);
    expect(loaded).toMatchObject({ state: "loaded", source: "safetensors", error: null });
    expect(states.map((s) => s.state)).toEqual(["loading", "converting", "loading", "loaded"]);
    expect(states[1]?.listed).toMatchObject({ state: "converting", progress: 0 });
    const files = await cached();
    expect(files).toEqual([expect.stringMatching(/^moe-[0-9a-f]{16}\.gguf$/)]);
    const ggufPath = join(cacheDir, files[0] ?? "");
    expect(loaded.memory_estimate).toBe(
      await engine.estimateMemory(ggufPath, { contextSize: 4096, sequences: 2, gpuLayers: 0 }),
    );

    const lease = await manager.acquire("moe", never);
    const result = await lease.model.complete(
      { prompt: "Hello", maxTokens: 4, stop: [] },
      { signal: never, onEvent: () => {} },
    );
    lease.release();
    expect(result.usage.completionTokens).toBe(4);
    await manager.unloadAll(true);

    // A restarted neuron finds the conversion: the estimate is the engine's, and no conversion runs.
    const again = await setup(async () => {});
    const restarted = new ModelManager({
      modelsDir,
      cacheDir,
      engine,
      budget: new MemoryBudget({ source: "budget", limit: 1e9, headroom: 0, device: { total: 0, free: 0 } }),
      defaults: SETTINGS,
      overrides: {},
      now: () => 0,
      log: () => {},
      onStateChange: (model, state) => again.states.push({ model, state }),
    });
    managers.push(restarted);
    await restarted.refresh(true);
    expect(restarted.list()[0]?.memory_estimate).toBe(loaded.memory_estimate);
    await restarted.load("moe", {}, never);
    expect(again.states.map((s) => s.state)).toEqual(["loading", "loaded"]);
    await restarted.unloadAll(true);
  });

  it("fails broken folders with the reason, lists unknown types as unsupported, and never converts them", async () => {
    const { manager, cached } = await setup(async (dir) => {
      await copyFolder(join(dir, "corrupt"));
      await writeFile(join(dir, "corrupt", "model.safetensors"), "this is not a safetensors file at all");
      await copyFolder(join(dir, "truncated"));
      await truncate(join(dir, "truncated", "model.safetensors"), 100_000);
      await copyFolder(join(dir, "shape"));
      await editJson(join(dir, "shape", "config.json"), (c) => void (c.moe_intermediate_size = 96));
      await copyFolder(join(dir, "no-tokenizer"));
      await rm(join(dir, "no-tokenizer", "tokenizer.json"));
      await copyFolder(join(dir, "lost-shard"), "llama", 2);
      await rm(join(dir, "lost-shard", "model-00002-of-00002.safetensors"));
      await copyFolder(join(dir, "mistral"));
      await editJson(join(dir, "mistral", "config.json"), (c) => void (c.model_type = "mistral"));
      await copyFolder(join(dir, "dup"));
      await symlink(await fixtureModel({ arch: "qwen3" }), join(dir, "dup.gguf"));
    });
    const failed: Record<string, RegExp> = {
      corrupt: /^model.safetensors is corrupt: header length \d+ does not fit in 37 bytes$/,
      truncated: /^model.safetensors is truncated: .* ends at byte \d+ but the file has 100000 bytes$/,
      shape:
        /^model.layers.0.mlp.experts.0.gate_proj.weight has shape \[64, 64\] but config.json implies \[96, 64\]$/,
      "no-tokenizer": /^tokenizer.json is missing/,
      "lost-shard": /^model-00002-of-00002.safetensors is missing$/,
    };
    const listed = manager.list();
    for (const [id, reason] of Object.entries(failed)) {
      expect(
        listed.find((m) => m.id === id),
        id,
      ).toMatchObject({
        source: "safetensors",
        state: "failed",
        error: expect.stringMatching(reason),
      });
      await expect(manager.load(id, {}, never)).rejects.toMatchObject({ code: "model_load_failed" });
    }
    expect(listed.find((m) => m.id === "shape")?.architecture).toBe("qwen3_moe");
    expect(listed.map((m) => m.id)).not.toContain("mistral");
    expect(manager.unsupported).toEqual([
      { path: "dup", reason: "Hugging Face folder with the same model id as dup.gguf; rename one of them" },
      {
        path: "mistral",
        reason: 'Hugging Face model_type "mistral" is not supported (supported: llama, qwen3, qwen3_moe)',
      },
    ]);
    const refusal = manager.load("mistral", {}, never);
    await expect(refusal).rejects.toBeInstanceOf(CortexError);
    await expect(refusal).rejects.toMatchObject({ code: "model_not_found", message: /not supported/ });
    expect(await cached()).toEqual([]);
  });

  it("fails a load when the folder broke after the scan, leaving nothing in the cache", async () => {
    const { modelsDir, manager, cached } = await setup(async (dir) => copyFolder(join(dir, "late")));
    expect(manager.list()[0]?.state).toBe("unloaded");
    // The scan saw a good folder; the conversion re-reads the headers before writing anything.
    const file = join(modelsDir, "late", "model.safetensors");
    const { size } = await stat(file);
    await truncate(file, size - 1000);
    await expect(manager.load("late", {}, never)).rejects.toMatchObject({
      code: "model_load_failed",
      message: expect.stringMatching(
        /^converting late failed: model.safetensors is truncated: lm_head.weight ends at byte \d+/,
      ),
    });
    expect(manager.list()[0]).toMatchObject({ state: "failed", error: expect.stringMatching(/truncated/) });
    expect(await cached()).toEqual([]);
  });

  it("cancels a conversion when the model is unloaded meanwhile", async () => {
    const { manager, hooks, cached } = await setup(async (dir) => copyFolder(join(dir, "moe")));
    let unloading: Promise<NeuronModel> | undefined;
    hooks.onConverting = (id) => void (unloading = manager.unload(id, true));
    await expect(manager.load("moe", {}, never)).rejects.toThrow(/cancelled by unload/);
    await unloading;
    expect(manager.list()[0]).toMatchObject({ state: "unloaded", error: null });
    expect(await cached()).toEqual([]);
  });

  it("refuses a model that cannot fit before converting it, and leaves it unloaded", async () => {
    const { manager, cached } = await setup(async (dir) => symlink(moeFolder, join(dir, "moe")), 5_000_000);
    await expect(manager.load("moe", {}, never)).rejects.toMatchObject({ code: "insufficient_memory" });
    expect(manager.list()[0]).toMatchObject({ state: "unloaded", error: expect.stringMatching(/needs 6.6/) });
    expect(await cached()).toEqual([]);
  });
});
