import { join } from "node:path";
import { repoRoot } from "../repo-root.js";
import { spawnListening, type SpawnedProcess } from "@cortex/core";
import type { FakeNeuronOptions } from "./fake-neuron-options.js";

/**
 * Starts `fake-neuron-main` (the built one in dist) as a child process, so a test can kill it with
 * SIGKILL like a crashed node. Change its knobs with `setFakeKnobs(url, …)`.
 */
export function spawnFakeNeuron(
  options: FakeNeuronOptions,
  env: NodeJS.ProcessEnv = {},
): Promise<SpawnedProcess> {
  const models = options.models.map(
    (model) => `${model.id}:${model.memory}${model.loaded === true ? ":loaded" : ""}`,
  );
  const args = [
    join(repoRoot(), "packages/testkit/dist/fake-neuron/fake-neuron-main.js"),
    "--name",
    options.name,
    "--memory",
    String(options.memoryTotal),
    "--models",
    models.join(","),
    ...(options.token === undefined ? [] : ["--token", options.token]),
    ...(options.port === undefined ? [] : ["--port", String(options.port)]),
    ...(options.knobs === undefined ? [] : ["--knobs", JSON.stringify(options.knobs)]),
  ];
  return spawnListening(process.execPath, args, { env, timeoutMs: 15_000 });
}
