import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeHubCache } from "@cortex/testkit";
import { describe, expect, it } from "vitest";
import { FakeEngine } from "../../src/engine/fake/fake-engine.js";
import { MemoryBudget } from "../../src/models/memory-budget.js";
import { discoverModels, type FoundModel } from "../../src/models/discover-models.js";
import { ModelManager } from "../../src/models/model-manager.js";
import { useTempDirs } from "./support/temp-dir.js";

const MAIN = "a".repeat(40);
const OLD = "b".repeat(40);
const fake = (architecture: string): Buffer =>
  Buffer.from(JSON.stringify({ fake: true, architecture, memory: 1_000_000 }));

/** A hub cache with a GGUF repo (two snapshots) and a repo holding only a projector. */
async function hubCache(root: string): Promise<string> {
  return writeHubCache(
    {
      "org/tiny-GGUF": [
        {
          commit: OLD,
          files: { "tiny-Q8_0.gguf": fake("old-q8"), "tiny-Q4_K_M.gguf": fake("old-q4") },
        },
        {
          commit: MAIN,
          main: true,
          files: {
            "tiny-Q8_0.gguf": fake("q8"),
            "F16/tiny-F16-00001-of-00002.gguf": fake("f16"),
            "F16/tiny-F16-00002-of-00002.gguf": Buffer.from("part two"),
            "BF16/tiny-BF16-00001-of-00003.gguf": fake("bf16"),
            "mmproj-tiny-F16.gguf": fake("clip"),
            "tiny.gguf": fake("untagged"),
            "README.md": Buffer.from("# tiny\n"),
          },
        },
      ],
      "org/folder": [
        {
          commit: MAIN,
          main: true,
          files: { "config.json": Buffer.from("{}"), "model.safetensors": Buffer.from("x") },
        },
      ],
    },
    root,
  );
}

function ids(models: readonly FoundModel[]): string[] {
  return models.map((model) => model.id);
}

describe("discoverModels", () => {
  const tempDir = useTempDirs("discover");

  it("reads a hub cache: org/name:QUANT ids, split sets in subfolders, refs/main first, projectors left out", async () => {
    const cache = await hubCache(await tempDir());
    const { models, unsupported } = await discoverModels([{ kind: "hf-cache", path: cache }]);
    expect(ids(models)).toEqual([
      "org/folder",
      "org/tiny-GGUF:tiny",
      "org/tiny-GGUF:F16",
      "org/tiny-GGUF:Q8_0",
      "org/tiny-GGUF:Q4_K_M",
    ]);
    const snapshot = join(cache, "models--org--tiny-GGUF", "snapshots");
    expect(models.find((model) => model.id === "org/tiny-GGUF:F16")).toEqual({
      kind: "gguf",
      id: "org/tiny-GGUF:F16",
      files: [
        join(snapshot, MAIN, "F16/tiny-F16-00001-of-00002.gguf"),
        join(snapshot, MAIN, "F16/tiny-F16-00002-of-00002.gguf"),
      ],
    });
    // The main snapshot's Q8_0 wins over the old one's; the old one's Q4_K_M is still there to serve.
    expect(models.find((model) => model.id === "org/tiny-GGUF:Q8_0")).toMatchObject({
      files: [join(snapshot, MAIN, "tiny-Q8_0.gguf")],
    });
    expect(models.find((model) => model.id === "org/folder")).toEqual({
      kind: "hf",
      id: "org/folder",
      dir: join(cache, "models--org--folder", "snapshots", MAIN),
    });
    expect(unsupported).toEqual([
      {
        path: join(snapshot, MAIN, "BF16/tiny-BF16-*-of-00003.gguf"),
        reason: "split GGUF set is incomplete: missing part(s) 2, 3 of 3",
      },
    ]);
  });

  it("skips a file whose blob is gone", async () => {
    const cache = await hubCache(await tempDir());
    const repo = join(cache, "models--org--tiny-GGUF");
    const { models } = await discoverModels([{ kind: "hf-cache", path: cache }]);
    const q8 = models.find((model) => model.id === "org/tiny-GGUF:Q8_0");
    await rm(join(repo, "snapshots", MAIN, "tiny-Q8_0.gguf"));
    await symlink(join(repo, "blobs", "gone"), join(repo, "snapshots", MAIN, "tiny-Q8_0.gguf"));
    const after = await discoverModels([{ kind: "hf-cache", path: cache }]);
    expect(q8).toBeDefined();
    // The old snapshot's Q8_0 takes its place.
    expect(after.models.find((model) => model.id === "org/tiny-GGUF:Q8_0")).toMatchObject({
      files: [join(repo, "snapshots", OLD, "tiny-Q8_0.gguf")],
    });
  });

  it("serves one file linked under two names in one folder under both ids (a profile per id)", async () => {
    const root = await tempDir();
    const modelsDir = join(root, "models");
    await mkdir(modelsDir);
    await writeFile(join(root, "weights.gguf"), fake("weights"));
    await symlink(join(root, "weights.gguf"), join(modelsDir, "short.gguf"));
    await symlink(join(root, "weights.gguf"), join(modelsDir, "long.gguf"));
    const { models, unsupported } = await discoverModels([{ kind: "dir", path: modelsDir }]);
    expect(ids(models).sort()).toEqual(["long", "short"]);
    expect(unsupported).toEqual([]);
  });

  it("lists the same file once, where it is first seen, and reports a different model with a taken id", async () => {
    const root = await tempDir();
    const cache = await hubCache(join(root, "hub"));
    const modelsDir = join(root, "models");
    const shared = join(root, "shared");
    await mkdir(modelsDir);
    await mkdir(shared);
    const q8 = join(cache, "models--org--tiny-GGUF", "snapshots", MAIN, "tiny-Q8_0.gguf");
    await symlink(q8, join(modelsDir, "mine.gguf"));
    await symlink(q8, join(shared, "again.gguf"));
    await writeFile(join(shared, "extra.gguf"), fake("extra"));
    await writeFile(join(shared, "mine.gguf"), fake("other"));
    const { models, unsupported } = await discoverModels([
      { kind: "dir", path: modelsDir },
      { kind: "dir", path: shared },
      { kind: "hf-cache", path: cache },
    ]);
    expect(ids(models)).toEqual([
      "mine",
      "extra",
      "org/folder",
      "org/tiny-GGUF:tiny",
      "org/tiny-GGUF:F16",
      "org/tiny-GGUF:Q4_K_M",
    ]);
    expect(unsupported).toContainEqual({
      path: join(shared, "mine.gguf"),
      reason: `same model id mine as mine.gguf; rename one of them`,
    });
  });
});

describe("ModelManager on a hub cache", () => {
  const tempDir = useTempDirs("hub-cache-manager");

  it("serves hub-cache models under their readable ids, loading by id", async () => {
    const root = await tempDir();
    const cache = await hubCache(join(root, "hub"));
    const manager = new ModelManager({
      modelsDir: join(root, "models"),
      sources: [
        { kind: "dir", path: join(root, "models") },
        { kind: "hf-cache", path: cache },
      ],
      engine: new FakeEngine(),
      budget: new MemoryBudget({ source: "budget", limit: 1e9, headroom: 0, device: { total: 0, free: 0 } }),
      defaults: { contextSize: 4096, parallel: 2, gpuLayers: "auto" },
      overrides: { "org/tiny-GGUF:Q8_0": { contextSize: 1024 } },
      now: () => 0,
      log: () => {},
    });
    await manager.refresh(true);
    expect(manager.list().find((model) => model.id === "org/tiny-GGUF:Q8_0")).toMatchObject({
      architecture: "q8",
      state: "unloaded",
      context_length: 1024,
    });
    const loaded = await manager.load("org/tiny-GGUF:Q8_0", {}, new AbortController().signal);
    expect(loaded.state).toBe("loaded");
    await expect(manager.load("org/../etc", {}, new AbortController().signal)).rejects.toMatchObject({
      code: "invalid_request",
    });
  });
});
