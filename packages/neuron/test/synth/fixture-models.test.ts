import { execFile } from "node:child_process";
import { randomInt } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { promisify } from "node:util";
import { fixtureModel, fixtureModelName } from "@cortex/testkit/fixture-models";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, describe, expect, it } from "vitest";
import { SYNTH_FORMAT_VERSION } from "../../src/synth/index.js";

const run = promisify(execFile);
const created = new Set<string>();
afterAll(async () => {
  for (const path of created) await rm(path, { recursive: true, force: true });
});

describe("fixtureModel", () => {
  it("derives the cache name from every option and the generator version", () => {
    const names = new Set([
      fixtureModelName({ arch: "qwen3" }),
      fixtureModelName({ arch: "qwen3", quant: "f16" }),
      fixtureModelName({ arch: "qwen3", seed: 1 }),
      fixtureModelName({ arch: "qwen3", ends: true }),
      fixtureModelName({ arch: "qwen3", size: "small" }),
      fixtureModelName({ arch: "qwen3", contextLength: 4096 }),
      fixtureModelName({ arch: "qwen3", omitKeys: ["qwen3.context_length"] }),
      fixtureModelName({ arch: "qwen3", format: "hf" }),
      fixtureModelName({ arch: "qwen3", format: "hf", dtype: "bf16" }),
      fixtureModelName({ arch: "qwen3", format: "hf", shards: 2 }),
      fixtureModelName({ arch: "llama" }),
    ]);
    expect(names.size).toBe(11);
    expect(fixtureModelName({ arch: "qwen3" })).toBe(
      `qwen3-tiny-f32-s42-c131072-v${SYNTH_FORMAT_VERSION}.gguf`,
    );
  });

  it("generates once under <repo>/.cache/models and reuses the file", async () => {
    const seed = randomInt(1_000_000, 2_000_000_000);
    const [a, b] = await Promise.all([
      fixtureModel({ arch: "llama", seed }),
      fixtureModel({ arch: "llama", seed }),
    ]);
    created.add(a);
    expect(a).toBe(b);
    expect(dirname(a).endsWith(".cache/models")).toBe(true);
    expect(basename(a)).toBe(fixtureModelName({ arch: "llama", seed }));
    const info = await readGgufFileInfo(a, { logWarnings: false });
    expect(info.metadata.general.architecture).toBe("llama");
    expect(await fixtureModel({ arch: "llama", seed })).toBe(a);
  });

  it("is safe when several processes ask for the same model at once", async () => {
    const seed = randomInt(1_000_000, 2_000_000_000);
    const script = [
      'import { fixtureModel } from "@cortex/testkit/fixture-models";',
      `process.stdout.write(await fixtureModel({ arch: "qwen3moe", quant: "q8_0", seed: ${seed} }));`,
    ].join("\n");
    const outputs = await Promise.all(
      [0, 1, 2].map(() =>
        run(process.execPath, ["--input-type=module", "-e", script], { cwd: process.cwd() }),
      ),
    );
    const paths = new Set(outputs.map((output) => output.stdout));
    expect(paths.size).toBe(1);
    const [path = ""] = paths;
    created.add(path);
    const info = await readGgufFileInfo(path, { logWarnings: false });
    expect(info.tensorCount).toBe(27);
    expect((await readFile(path)).length).toBeGreaterThan(100_000);
  });
});
