import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SpawnedProcess } from "@cortex/core";
import { writeFakeModelFile, type FakeModelKnobsInput } from "@cortex/neuron/fake";
import { spawnNeuron } from "../spawn-neuron.js";

export interface FakeEngineNeuronOptions {
  name: string;
  /** Model id (its file name without `.gguf`) → the fake model's knobs (memory, timings). */
  models: Record<string, Partial<Omit<FakeModelKnobsInput, "fake">>>;
  /** More neuron.toml lines (parallel, memory_budget, …); `name` and `models_dir` are set here. */
  config?: string;
  token?: string;
}

export interface FakeEngineNeuron {
  name: string;
  url: string;
  process: SpawnedProcess;
  stop(): Promise<void>;
}

/**
 * A real `neuron serve` process on the fake engine (CORTEX_TEST_ENGINE=fake), its models fake files in
 * a temporary models_dir: the whole neuron (HTTP, lifecycle, sequences, prefix report) with timings the
 * test chooses instead of llama.cpp's.
 */
export async function spawnFakeEngineNeuron(options: FakeEngineNeuronOptions): Promise<FakeEngineNeuron> {
  const dir = await mkdtemp(join(tmpdir(), `cortex-fake-engine-${options.name}-`));
  for (const [id, knobs] of Object.entries(options.models)) {
    await writeFakeModelFile(join(dir, `${id}.gguf`), knobs);
  }
  const config = join(dir, "neuron.toml");
  const lines = [
    `name = ${JSON.stringify(options.name)}`,
    ...(options.token === undefined ? [] : [`auth_token = ${JSON.stringify(options.token)}`]),
    options.config ?? "",
  ];
  await writeFile(config, `${lines.join("\n")}\n`);
  const spawned = await spawnNeuron({ modelsDir: dir, config, env: { CORTEX_TEST_ENGINE: "fake" } });
  return {
    name: options.name,
    url: spawned.url,
    process: spawned,
    stop: async () => {
      await spawned.stop("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    },
  };
}
