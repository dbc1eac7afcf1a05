import { join } from "node:path";
import { repoRoot } from "./repo-root.js";
import { spawnListening, type SpawnedProcess } from "@cortex/core";

export interface NeuronProcessOptions {
  modelsDir: string;
  config?: string;
  /** Extra `neuron serve` flags. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

/** A real `neuron serve` process on an ephemeral loopback port. */
export function spawnNeuron(options: NeuronProcessOptions): Promise<SpawnedProcess> {
  const args = [
    join(repoRoot(), "packages/cli/bin/neuron.js"),
    "serve",
    "--listen",
    "127.0.0.1:0",
    "--models-dir",
    options.modelsDir,
    ...(options.config ? ["--config", options.config] : []),
    ...(options.args ?? []),
  ];
  return spawnListening(process.execPath, args, { env: { CORTEX_TEST_HOOKS: "1", ...options.env } });
}
