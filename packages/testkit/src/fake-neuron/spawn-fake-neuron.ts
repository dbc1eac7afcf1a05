import { join } from "node:path";
import { repoRoot } from "../repo-root.js";
import { spawnListening, type SpawnedProcess } from "@cortex/core";
import type { FakeKnobs, FakeNeuronOptions, FakeNeuronStats } from "./fake-neuron.js";

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

/** Knobs of a fake neuron in any process, through `POST /__fake/knobs`; returns the knobs now in force. */
export async function setFakeKnobs(url: string, knobs: Partial<FakeKnobs>): Promise<FakeKnobs> {
  const response = await fetch(`${url}/__fake/knobs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(knobs),
  });
  if (!response.ok)
    throw new Error(`setting fake neuron knobs failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as FakeKnobs;
}

/** Counters of a fake neuron in any process, through `GET /__fake/stats`. */
export async function getFakeStats(url: string): Promise<FakeNeuronStats> {
  const response = await fetch(`${url}/__fake/stats`);
  if (!response.ok)
    throw new Error(`reading fake neuron stats failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as FakeNeuronStats;
}
