import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { parseCortexConfig, parseModelsConfig, type SpawnedProcess } from "@cortex/core";
import { modelDir, spawnNeuron, type FixtureModelOptions } from "@cortex/testkit";
import OpenAI from "openai";
import { pino } from "pino";
import { startGateway, type RunningGateway } from "../../src/start-gateway.js";

/** Replies end within a few dozen tokens (finish stop / end_turn). */
export const ENDS: FixtureModelOptions = { arch: "qwen3", quant: "f16", ends: true };
/** Runs to max_tokens every time. */
export const RUNS_ON: FixtureModelOptions = { arch: "llama", quant: "f16" };

export interface NeuronSpec {
  name: string;
  models: Record<string, FixtureModelOptions>;
  /** neuron.toml text; default: the demo context (65536, enough for a Claude Code request). */
  config?: string;
  env?: NodeJS.ProcessEnv;
}

export interface GatewaySpec {
  /** Extra `[gateway]` lines (api_keys, default_model, body_limit). */
  gateway?: string;
  /** models.toml text. */
  models?: string;
  /** Only these neurons of the stack; default all. */
  only?: readonly string[];
}

export interface TestStack {
  gateway: RunningGateway;
  url: string;
  neurons: ReadonlyMap<string, SpawnedProcess>;
  /** Another gateway over (some of) the same neurons, with its own config; closed with the stack. */
  addGateway(spec: GatewaySpec): Promise<RunningGateway>;
  anthropic(options?: { baseURL?: string; apiKey?: string }): Anthropic;
  openai(options?: { baseURL?: string; apiKey?: string }): OpenAI;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** Sum of a gateway metric's samples whose labels include `labels`. */
  metric(name: string, labels: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

export const DEMO_NEURON_TOML = "context_size = 65536\nparallel = 2\nthreads = 1\n";

/** Real `neuron serve` processes on generated models, and an in-process gateway in front of them. */
export async function startStack(
  options: { neurons: readonly NeuronSpec[] } & GatewaySpec,
): Promise<TestStack> {
  const dirs: string[] = [];
  const neurons = new Map<string, SpawnedProcess>();
  const gateways: RunningGateway[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
    await Promise.all([...neurons.values()].map((neuron) => neuron.stop()));
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  };
  try {
    await Promise.all(
      options.neurons.map(async (spec) => {
        const dir = await modelDir(spec.models);
        dirs.push(dir);
        const config = join(dir, "neuron.toml");
        await writeFile(config, spec.config ?? DEMO_NEURON_TOML);
        neurons.set(
          spec.name,
          await spawnNeuron({ modelsDir: dir, config, ...(spec.env ? { env: spec.env } : {}) }),
        );
      }),
    );
    const addGateway = async (spec: GatewaySpec): Promise<RunningGateway> => {
      const chosen = spec.only ?? [...neurons.keys()];
      const toml = [
        "[gateway]",
        'listen = "127.0.0.1:0"',
        'metrics_listen = "127.0.0.1:0"',
        spec.gateway ?? "",
        "[fleet]",
        'poll_interval = "500ms"',
        ...chosen.flatMap((name) => [
          "[[neurons]]",
          `name = "${name}"`,
          `endpoint = "${neurons.get(name)?.url ?? "missing"}"`,
        ]),
      ].join("\n");
      const gateway = await startGateway({
        config: parseCortexConfig(toml, "cortex.toml", "."),
        models: parseModelsConfig(spec.models ?? "", "models.toml", "."),
        logger: pino({ level: "silent" }),
      });
      gateways.push(gateway);
      return gateway;
    };
    const gateway = await addGateway({
      ...(options.gateway === undefined ? {} : { gateway: options.gateway }),
      ...(options.models === undefined ? {} : { models: options.models }),
    });
    const url = gateway.url;
    return {
      gateway,
      url,
      neurons,
      addGateway,
      anthropic: (client = {}) =>
        new Anthropic({ baseURL: client.baseURL ?? url, apiKey: client.apiKey ?? "unused", maxRetries: 0 }),
      openai: (client = {}) =>
        new OpenAI({
          baseURL: client.baseURL ?? `${url}/v1`,
          apiKey: client.apiKey ?? "unused",
          maxRetries: 0,
        }),
      post: (path, body, headers = {}) =>
        fetch(`${url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: typeof body === "string" ? body : JSON.stringify(body),
        }),
      metric: async (name, labels) =>
        sumMetric(await (await fetch(`${gateway.metricsUrl}/metrics`)).text(), name, labels),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function sumMetric(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) total += Number(match[3]);
  }
  return total;
}
