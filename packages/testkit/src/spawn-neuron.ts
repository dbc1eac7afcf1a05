import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./repo-root.js";
import { spawnListening, type SpawnedProcess } from "@cortex/core";

export interface NeuronProcessOptions {
  modelsDir: string;
  config?: string;
  /** Extra `neuron serve` flags. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /**
   * Caps the process's virtual memory (`ulimit -v`, KiB). For tests that provoke a memory blow-up: an
   * allocation failure inside the neuron is a failed test, a real one takes the whole machine down.
   */
  memoryLimitKb?: number;
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
  // The machine's own Hugging Face cache never leaks into a test (hf_cache is on by default).
  const env = {
    CORTEX_TEST_HOOKS: "1",
    HF_HUB_CACHE: join(tmpdir(), "cortex-test-no-hf-cache"),
    ...options.env,
  };
  if (options.memoryLimitKb === undefined) return spawnListening(process.execPath, args, { env });
  // `exec` keeps the pid, so stopping the process signals node itself, not the shell.
  const script = `ulimit -v ${Math.floor(options.memoryLimitKb)} && exec "$0" "$@"`;
  return spawnListening("/bin/sh", ["-c", script, process.execPath, ...args], { env });
}
