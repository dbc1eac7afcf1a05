import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseNeuronConfig } from "@cortex/core";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine } from "../../src/engine/fake/index.js";
import { startNeuron, type RunningNeuron } from "../../src/start-neuron.js";
import { makeTempDir } from "../synth/synth-test-runtime.js";

/**
 * Conversions write `.<name>.partial-<pid>-<hex>` and delete partial files of dead writers. A partial
 * file carrying this process's own pid can only be a previous process's leftover (pids are reused, and a
 * neuron in a container is always pid 1): it must be cleaned at start, not kept as "alive" forever.
 */
let dir: string;
let cleanup: () => Promise<void>;
let neuron: RunningNeuron | undefined;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});

afterAll(async () => {
  await neuron?.close();
  await cleanup();
});

describe("leftover partial files", () => {
  it("partial files carrying the current pid (or a dead one) are cleaned at start; a live writer's stay", async () => {
    const cacheDir = join(dir, "cache");
    await mkdir(cacheDir, { recursive: true });
    const own = `.m-0123456789abcdef.gguf.partial-${process.pid}-deadbeef`;
    const dead = ".m-0123456789abcdef.gguf.partial-999999999-00c0ffee";
    const live = `.other-fedcba9876543210.gguf.partial-${process.ppid}-0badf00d`;
    const finished = "m-0123456789abcdef.gguf";
    for (const name of [own, dead, live, finished]) await writeFile(join(cacheDir, name), "x");
    const config = parseNeuronConfig(
      `listen = "127.0.0.1:0"\nmodels_dir = "${join(dir, "models")}"\ncache_dir = "${cacheDir}"\n`,
      "neuron.toml",
      dir,
    );
    neuron = await startNeuron({ config, logger: pino({ level: "silent" }), engine: new FakeEngine() });
    expect((await readdir(cacheDir)).sort()).toEqual([live, finished].sort());
  });
});
