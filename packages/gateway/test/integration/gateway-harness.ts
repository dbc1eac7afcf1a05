import { Anthropic } from "@anthropic-ai/sdk";
import { SseParser, parseCortexConfig, parseModelsConfig, type SseMessage } from "@cortex/core";
import OpenAI from "openai";
import { pino } from "pino";
import { Agent, fetch as undiciFetch } from "undici";
import type { CatalogEntry } from "../../src/catalog/model-catalog.js";
import type { Decision } from "../../src/scheduler/decision-log.js";
import { startGateway, type RunningGateway } from "../../src/start-gateway.js";
import { readMetric, startFakeNeuron, type FakeNeuron } from "@cortex/testkit";

export const MiB = 1024 * 1024;

type TomlScalar = string | number | boolean;
/** Arrays may hold inline tables (`api_keys = [{ key = "k", priority = "high" }]`). */
type TomlValue = TomlScalar | readonly (string | Readonly<Record<string, TomlScalar>>)[];
export type TomlTable = Readonly<Record<string, TomlValue>>;

export interface NeuronRef {
  name: string;
  url: string;
  token?: string;
}

/** One gateway's cortex.toml, as tables; loopback ephemeral ports and a fast poll unless overridden. */
export interface GatewaySetup {
  neurons: readonly NeuronRef[];
  gateway?: TomlTable;
  eviction?: TomlTable;
  fleet?: TomlTable;
  timeouts?: TomlTable;
  scheduler?: TomlTable;
  /** models.toml text (placement profiles). */
  models?: string;
}

export function cortexToml(setup: GatewaySetup): string {
  const sections: [string, TomlTable][] = [
    ["gateway", { listen: "127.0.0.1:0", metrics_listen: "127.0.0.1:0", ...setup.gateway }],
    ["timeouts", { connect: "2s", load: "30s", ...setup.timeouts }],
    ["eviction", { ...setup.eviction }],
    ["fleet", { poll_interval: "200ms", down_after: 2, ...setup.fleet }],
    ["scheduler", { ...setup.scheduler }],
  ];
  const neurons = setup.neurons.map(
    (neuron) =>
      `[[neurons]]\n${tomlLines({ name: neuron.name, endpoint: neuron.url, ...(neuron.token ? { token: neuron.token } : {}) })}`,
  );
  return [...sections.map(([name, table]) => `[${name}]\n${tomlLines(table)}`), ...neurons].join("\n\n");
}

function tomlLines(table: TomlTable): string {
  return Object.entries(table)
    .map(([key, value]) => `${key} = ${tomlValue(value)}`)
    .join("\n");
}

function tomlValue(value: TomlValue | Readonly<Record<string, TomlScalar>>): string {
  if (Array.isArray(value)) return `[${value.map((item) => tomlValue(item as TomlValue)).join(", ")}]`;
  if (typeof value === "object") {
    const fields = Object.entries(value).map(([key, item]) => `${key} = ${JSON.stringify(item)}`);
    return `{ ${fields.join(", ")} }`;
  }
  return JSON.stringify(value);
}

export interface TestGateway {
  url: string;
  metricsUrl: string;
  running: RunningGateway;
  /** The official client, without retries (a retried 503 would hide what the gateway said). */
  openai(apiKey?: string): OpenAI;
  /** The official Anthropic client (it sends `x-api-key` and `anthropic-version`), without retries. */
  anthropic(apiKey?: string): Anthropic;
  /** A raw request to the gateway, headers as given (no key added). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** `GET /v1/models` in the OpenAI shape. */
  catalog(): Promise<CatalogEntry[]>;
  decisions(): Promise<Decision[]>;
  /** A metric from the gateway's Prometheus endpoint, summed over samples matching `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

/** `startGateway` in this process on the config `setup` describes, with a silent logger. */
export async function startTestGateway(setup: GatewaySetup): Promise<TestGateway> {
  const config = parseCortexConfig(cortexToml(setup), "cortex.toml", process.cwd());
  const models = parseModelsConfig(setup.models ?? "", "models.toml", process.cwd());
  const running = await startGateway({ config, models, logger: pino({ level: "silent" }) });
  const url = running.url;
  // Our own connection pool: closing it first means no idle keep-alive socket holds up the gateway's close.
  const agent = new Agent();
  const fetchVia = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    undiciFetch(input as string, { ...(init as object), dispatcher: agent }) as unknown as Promise<Response>;
  const adminKey = config.gateway.adminKey;
  const clientKey = config.gateway.apiKeys[0];
  const auth: Record<string, string> = {
    ...(clientKey === undefined ? {} : { authorization: `Bearer ${clientKey}` }),
  };
  const admin: Record<string, string> = {
    ...(adminKey === undefined ? {} : { authorization: `Bearer ${adminKey}` }),
  };
  const get = (path: string, headers?: Record<string, string>): Promise<Response> =>
    fetchVia(`${url}${path}`, { headers: headers ?? (path.startsWith("/admin/") ? admin : auth) });
  const post = (path: string, body: unknown, headers?: Record<string, string>): Promise<Response> =>
    fetchVia(`${url}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(headers ?? (path.startsWith("/admin/") ? admin : auth)),
      },
      body: JSON.stringify(body),
    });
  return {
    url,
    metricsUrl: running.metricsUrl,
    running,
    openai: (apiKey = clientKey ?? "unused") =>
      new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0, fetch: fetchVia }),
    anthropic: (apiKey = clientKey ?? "unused") =>
      new Anthropic({ baseURL: url, apiKey, maxRetries: 0, fetch: fetchVia }),
    fetch: (path, init) => fetchVia(`${url}${path}`, init),
    get,
    post,
    catalog: async () => ((await okJson(await get("/v1/models"))) as { data: CatalogEntry[] }).data,
    decisions: async () =>
      ((await okJson(await get("/admin/decisions"))) as { decisions: Decision[] }).decisions,
    metric: async (name, labels = {}) =>
      readMetric(await (await fetchVia(`${running.metricsUrl}/metrics`)).text(), name, labels),
    close: async () => {
      await agent.destroy();
      await running.close();
    },
  };
}

export async function okJson(response: Response): Promise<unknown> {
  if (!response.ok) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return response.json();
}

/**
 * Re-checks `condition` until it holds; fails after `timeoutMs` naming what was awaited. For state that
 * only shows up through polling (a gateway's view of its neurons), where there is no event to wait on.
 */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs registered cleanups in reverse order; one failing does not skip the rest. */
export class Cleanups {
  readonly #steps: (() => unknown)[] = [];

  add(step: () => unknown): void {
    this.#steps.push(step);
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const step of this.#steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, "cleanup failed");
  }
}

/** Where a model is loaded according to the gateway's `/v1/models`. */
export function loadedOn(catalog: readonly CatalogEntry[], id: string): string[] {
  return catalog.find((entry) => entry.id === id)?.loaded_on ?? [];
}

/** A fake neuron "alpha" (100 MiB) with model "m" loaded, closed by `cleanups`. */
export async function startOneModelNeuron(cleanups: Cleanups): Promise<FakeNeuron> {
  const neuron = await startFakeNeuron({
    name: "alpha",
    memoryTotal: 100 * MiB,
    models: [{ id: "m", memory: 10 * MiB, loaded: true }],
  });
  cleanups.add(() => neuron.close());
  return neuron;
}

export interface StreamReader {
  /** Reads until `until` holds for a message (or the body ends); returns what was read. */
  read(until?: (message: SseMessage) => boolean): Promise<SseMessage[]>;
}

/** Reads a response body as SSE messages, a few at a time. */
export function sseReader(response: Response): StreamReader {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const parser = new SseParser();
  // Messages parsed from a chunk after the one a read stopped at: the next read starts with them.
  const backlog: SseMessage[] = [];
  return {
    read: async (until = () => false) => {
      const seen: SseMessage[] = [];
      for (;;) {
        for (let message = backlog.shift(); message !== undefined; message = backlog.shift()) {
          seen.push(message);
          if (until(message)) return seen;
        }
        const { done, value } = await reader.read();
        if (done) return [...seen, ...parser.end()];
        backlog.push(...parser.push(value));
      }
    },
  };
}
