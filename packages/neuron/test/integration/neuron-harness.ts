import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { NeuronModelsResponseSchema, type NeuronModelsResponse } from "@cortex/core";
import { modelDir, readMetric, spawnNeuron, type FixtureModelOptions } from "@cortex/testkit";
import OpenAI from "openai";

export interface TestNeuron {
  url: string;
  dir: string;
  openai: OpenAI;
  get(path: string): Promise<Response>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  models(): Promise<NeuronModelsResponse>;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  stop(): Promise<number | null>;
}

/** A real `neuron serve` process on generated models in a temp dir. */
export async function startTestNeuron(options: {
  models: Record<string, FixtureModelOptions>;
  files?: Record<string, string | Uint8Array>;
  config?: string;
  env?: NodeJS.ProcessEnv;
  memoryLimitKb?: number;
}): Promise<TestNeuron> {
  const dir = await modelDir(options.models, options.files);
  const config = join(dir, "neuron.toml");
  // One thread for both phases: test neurons share two cores with each other and the test runner.
  await writeFile(
    config,
    options.config ?? "context_size = 4096\nparallel = 2\nthreads = 1\nbatch_threads = 1\n",
  );
  const neuron = await spawnNeuron({
    modelsDir: dir,
    config,
    ...(options.env ? { env: options.env } : {}),
    ...(options.memoryLimitKb !== undefined ? { memoryLimitKb: options.memoryLimitKb } : {}),
  });
  const url = neuron.url;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  return {
    url,
    dir,
    openai: new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 }),
    get: (path) => fetch(`${url}${path}`),
    post,
    models: async () => NeuronModelsResponseSchema.parse(await (await fetch(`${url}/models`)).json()),
    metric: async (name, labels = {}) =>
      readMetric(await (await fetch(`${url}/metrics`)).text(), name, labels),
    stop: async () => {
      const code = await neuron.stop();
      await rm(dir, { recursive: true, force: true });
      return code;
    },
  };
}
