import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { NeuronModelsResponseSchema, type NeuronModel, type SpawnedProcess } from "@cortex/core";
import { modelDir, readMetric, spawnNeuron, type FixtureModelOptions } from "@cortex/testkit";

/** The generated llama the real-neuron tests use under many names (a model id is its file name). */
export const TINY_LLAMA: FixtureModelOptions = { arch: "llama", quant: "q8_0" };

export interface RealNeuron {
  name: string;
  url: string;
  token: string | undefined;
  /** The current process; `restart` replaces it. */
  process: SpawnedProcess;
  /** `GET /models` straight from the neuron (with its token). */
  models(): Promise<NeuronModel[]>;
  model(id: string): Promise<NeuronModel | undefined>;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** A crash: SIGKILL, nothing cleaned up. */
  kill(): Promise<void>;
  /** A new process on the same port, models dir and config (its models start unloaded). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real `neuron serve` on generated models. `config` is the body of its neuron.toml; `name` and
 * `auth_token` are added from the options.
 */
export async function startRealNeuron(options: {
  name: string;
  models: Record<string, FixtureModelOptions>;
  /** Literal files in models_dir (broken models). */
  files?: Record<string, string | Uint8Array>;
  config: string;
  token?: string;
}): Promise<RealNeuron> {
  const dir = await modelDir(options.models, options.files);
  const config = join(dir, "neuron.toml");
  const token = options.token;
  await writeFile(
    config,
    `name = "${options.name}"\n${token === undefined ? "" : `auth_token = "${token}"\n`}${options.config}\n`,
  );
  const spawned = await spawnNeuron({ modelsDir: dir, config });
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const models = async (): Promise<NeuronModel[]> => {
    const response = await fetch(`${spawned.url}/models`, { headers });
    return NeuronModelsResponseSchema.parse(await response.json()).models;
  };
  const neuron: RealNeuron = {
    name: options.name,
    url: spawned.url,
    token,
    process: spawned,
    models,
    model: async (id) => (await models()).find((model) => model.id === id),
    metric: async (name, labels = {}) =>
      readMetric(await (await fetch(`${spawned.url}/metrics`, { headers })).text(), name, labels),
    kill: async () => {
      await neuron.process.stop("SIGKILL");
    },
    restart: async () => {
      await neuron.process.stop("SIGKILL");
      const port = new URL(spawned.url).port;
      neuron.process = await spawnNeuron({ modelsDir: dir, config, args: ["--listen", `127.0.0.1:${port}`] });
    },
    stop: async () => {
      await neuron.process.stop("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    },
  };
  return neuron;
}
