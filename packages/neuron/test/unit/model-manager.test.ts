import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CortexError, type ModelState } from "@cortex/core";
import { describe, expect, it } from "vitest";
import { FakeEngine } from "../../src/engine/fake/fake-engine.js";
import { writeFakeModelFile, type FakeModelKnobsInput } from "../../src/engine/fake/fake-model-knobs.js";
import { MemoryBudget } from "../../src/models/memory-budget.js";
import { ModelManager } from "../../src/models/model-manager.js";
import { chatRequest } from "./support/chat-request.js";
import { deferred } from "./support/deferred.js";
import { useTempDirs } from "./support/temp-dir.js";

const MB = 1_000_000;
const never = new AbortController().signal;

type Knobs = Partial<Omit<FakeModelKnobsInput, "fake">>;

describe("ModelManager with the fake engine", () => {
  const tempDir = useTempDirs("model-manager");

  async function setup(options: { files?: Record<string, Knobs>; budget?: number } = {}) {
    const dir = await tempDir();
    for (const [name, knobs] of Object.entries(options.files ?? {}))
      await writeFakeModelFile(join(dir, name), knobs);
    const engine = new FakeEngine();
    const budget = new MemoryBudget({
      source: "budget",
      limit: options.budget ?? 1000 * MB,
      headroom: 0,
      device: { total: 0, free: 0 },
    });
    const logs: { message: string; fields?: Record<string, unknown> }[] = [];
    const states: { model: string; state: ModelState }[] = [];
    const watchers: { model: string; state: ModelState; reached: () => void }[] = [];
    /** Resolves when the model next enters the state. */
    const reaches = (model: string, state: ModelState): Promise<void> =>
      new Promise((reached) => watchers.push({ model, state, reached }));
    const manager = new ModelManager({
      modelsDir: dir,
      engine,
      budget,
      defaults: { contextSize: 4096, parallel: 2, gpuLayers: "auto" },
      overrides: {},
      now: () => 0,
      log: (message, fields) => logs.push({ message, ...(fields ? { fields } : {}) }),
      onStateChange: (model, state) => {
        states.push({ model, state });
        for (const watcher of watchers)
          if (watcher.model === model && watcher.state === state) watcher.reached();
      },
    });
    await manager.refresh(true);
    return { dir, engine, budget, manager, logs, states, reaches };
  }

  it("lists single files and complete split sets, and reports what it cannot serve", async () => {
    const dir = await tempDir();
    await writeFakeModelFile(join(dir, "tiny.gguf"));
    await writeFakeModelFile(join(dir, "big-00001-of-00002.gguf"), { architecture: "qwen3" });
    await writeFile(join(dir, "big-00002-of-00002.gguf"), "second part");
    await writeFakeModelFile(join(dir, "broken-00001-of-00003.gguf"));
    await writeFakeModelFile(join(dir, "broken-00003-of-00003.gguf"));
    await mkdir(join(dir, "hf-model"));
    await writeFile(join(dir, "hf-model", "config.json"), "{}");
    await mkdir(join(dir, "empty-folder"));
    await writeFile(join(dir, "README.md"), "not a model");
    await writeFakeModelFile(join(dir, ".hidden.gguf"));
    const engine = new FakeEngine();
    const manager = new ModelManager({
      modelsDir: dir,
      engine,
      budget: new MemoryBudget({ source: "ram", headroom: 0, device: { total: 1e12, free: 1e12 } }),
      defaults: { contextSize: 4096, parallel: 2, gpuLayers: "auto" },
      overrides: { tiny: { contextSize: 512 } },
      now: () => 0,
      log: () => {},
    });

    await manager.refresh(true);

    const models = manager.list();
    expect(models.map((model) => model.id).sort()).toEqual(["big", "tiny"]);
    expect(models.find((model) => model.id === "big")).toMatchObject({
      architecture: "qwen3",
      state: "unloaded",
      memory_estimate: 50 * MB,
    });
    expect(models.find((model) => model.id === "tiny")).toMatchObject({ context_length: 512 });
    expect(manager.unsupported).toEqual([
      {
        path: "broken-*-of-00003.gguf",
        reason: "split GGUF set is incomplete: missing part(s) 2 of 3",
      },
      { path: "hf-model", reason: expect.stringMatching(/Hugging Face/) },
    ]);
    await expect(manager.acquire("broken", never)).rejects.toMatchObject({
      code: "model_not_found",
      message: expect.stringMatching(/cannot be served: split GGUF set is incomplete/),
    });
  });

  it("marks a malformed file failed with the reason and never loads it", async () => {
    const { dir, engine, manager, logs } = await setup({ files: { "good.gguf": {} } });
    await writeFile(join(dir, "bad.gguf"), "GGUF but not really");
    await manager.refresh(true);

    expect(manager.list().find((model) => model.id === "bad")).toMatchObject({
      state: "failed",
      error: "not a fake model file: content is not JSON",
      memory_estimate: null,
    });
    await expect(manager.acquire("bad", never)).rejects.toMatchObject({ code: "model_load_failed" });
    await expect(manager.load("bad", {}, never)).rejects.toMatchObject({ code: "model_load_failed" });
    expect(engine.loadsStarted).toBe(0);
    expect(
      logs.some((log) => log.message === "model file cannot be served" && log.fields?.model === "bad"),
    ).toBe(true);
  });

  it.each(["../../etc/passwd", "/etc/passwd", ".hidden", "a/../../b", "..\\windows"])(
    "refuses the path-like id %j",
    async (id) => {
      const { engine, manager } = await setup({ files: { "good.gguf": {} } });
      const failure = manager.acquire(id, never);
      await expect(failure).rejects.toBeInstanceOf(CortexError);
      await expect(failure).rejects.toMatchObject({ code: "invalid_request", status: 400 });
      await expect(manager.load(id, {}, never)).rejects.toMatchObject({ code: "invalid_request" });
      expect(engine.loadsStarted).toBe(0);
    },
  );

  it("answers model_not_found for an unknown id, after rescanning", async () => {
    const { dir, manager } = await setup();
    await expect(manager.describe("nope")).rejects.toMatchObject({ code: "model_not_found", status: 404 });
    // A file dropped in after the last scan is found without waiting for the next periodic scan.
    await writeFakeModelFile(join(dir, "late.gguf"));
    expect((await manager.describe("late")).id).toBe("late");
  });

  it("refuses a load that does not fit, says by how much, and keeps no reservation", async () => {
    const { engine, budget, manager } = await setup({
      files: { "huge.gguf": { memory: 300 * MB } },
      budget: 200 * MB,
    });
    const failure = manager.load("huge", {}, never);
    await expect(failure).rejects.toMatchObject({ code: "insufficient_memory", status: 503, retryAfter: 5 });
    await expect(failure).rejects.toThrow(/needs 286 MiB, 191 MiB free/);
    expect(budget.used).toBe(0);
    expect(engine.loadsStarted).toBe(0);
    expect((await manager.describe("huge")).state).toBe("unloaded");
  });

  it("reserves memory while loaded and releases it after a failed load or an unload", async () => {
    const { budget, manager } = await setup({
      files: { "ok.gguf": { memory: 40 * MB }, "broken.gguf": { memory: 30 * MB, failLoad: "bad tensor" } },
    });
    await manager.load("ok", {}, never);
    expect(budget.used).toBe(40 * MB);

    await expect(manager.load("broken", {}, never)).rejects.toThrow("bad tensor");
    expect(budget.used).toBe(40 * MB);
    expect(await manager.describe("broken")).toMatchObject({
      state: "failed",
      error: "loading broken failed: bad tensor",
    });

    await manager.unload("ok", false);
    expect(budget.used).toBe(0);
  });

  it("loads once for two concurrent load requests", async () => {
    const { engine, manager, states } = await setup({ files: { "slow.gguf": { loadDelayMs: 20 } } });
    const [a, b] = await Promise.all([manager.load("slow", {}, never), manager.load("slow", {}, never)]);
    expect(engine.loadsStarted).toBe(1);
    expect(a.state).toBe("loaded");
    expect(b.state).toBe("loaded");
    expect(states).toEqual([
      { model: "slow", state: "loading" },
      { model: "slow", state: "loaded" },
    ]);
  });

  it("applies load settings to the next load only", async () => {
    const { engine, manager } = await setup({ files: { "m.gguf": {} } });
    await manager.load("m", { contextSize: 1024 }, never);
    expect(engine.models[0]?.contextSize).toBe(1024);
    const again = await manager.load("m", { contextSize: 2048 }, never);
    expect(again.context_length).toBe(1024);
    expect(engine.loadsStarted).toBe(1);
  });

  it("unloadAll(force) aborts running generations, then disposes every model", async () => {
    const { engine, budget, manager } = await setup({
      files: { "a.gguf": { stallAfterTokens: 1 }, "b.gguf": {} },
    });
    await manager.load("b", {}, never);
    const lease = await manager.acquire("a", never);
    const firstToken = deferred<void>();
    const generation = lease.model
      .chat(chatRequest(), { signal: lease.signal, onEvent: () => firstToken.resolve() })
      .finally(() => lease.release());
    await firstToken.promise;
    expect(manager.loadedModels().map((model) => [model.id, model.inFlight])).toEqual([
      ["a", 1],
      ["b", 0],
    ]);

    await manager.unloadAll(true);

    await expect(generation).rejects.toMatchObject({ code: "request_aborted" });
    expect(engine.liveModels).toBe(0);
    expect(engine.disposedWhileBusy).toBe(0);
    expect(budget.used).toBe(0);
    expect(manager.list().map((model) => model.state)).toEqual(["unloaded", "unloaded"]);
  });

  it("counts a request waiting for a sequence in in_flight, and says how many of them wait in queued", async () => {
    const { manager } = await setup({ files: { "a.gguf": { stallAfterTokens: 1 } } });
    const controller = new AbortController();
    const generations: Promise<unknown>[] = [];
    const started: Promise<void>[] = [];
    // Two sequences (parallel 2): two generate, the third waits for one.
    for (let i = 0; i < 3; i++) {
      const lease = await manager.acquire("a", never);
      const first = deferred<void>();
      if (i < 2) started.push(first.promise);
      generations.push(
        lease.model
          .chat(chatRequest(), {
            signal: AbortSignal.any([lease.signal, controller.signal]),
            onEvent: () => first.resolve(),
          })
          .catch(() => undefined)
          .finally(() => lease.release()),
      );
    }
    await Promise.all(started);
    expect(manager.list().map((model) => [model.id, model.in_flight, model.queued])).toEqual([["a", 3, 1]]);
    controller.abort();
    await Promise.all(generations);
  });

  it("an unload during a slow load cancels it and frees the reservation", async () => {
    const { engine, budget, manager, reaches } = await setup({
      files: { "slow.gguf": { loadDelayMs: 60_000 } },
    });
    const started = reaches("slow", "loading");
    const loading = manager.load("slow", {}, never);
    const failure = expect(loading).rejects.toMatchObject({ code: "request_aborted" });
    await started;

    await manager.unload("slow", false);

    await failure;
    expect((await manager.describe("slow")).state).toBe("unloaded");
    expect(budget.used).toBe(0);
    expect(engine.liveModels).toBe(0);
  });
});
