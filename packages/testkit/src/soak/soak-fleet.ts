import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnListening, type SpawnedProcess } from "@cortex/core";
import { writeFakeModelFile } from "@cortex/neuron/fake";
import { fixtureModel } from "../fixture-models.js";
import { repoRoot } from "../repo-root.js";
import { spawnNeuron } from "../spawn-neuron.js";

/**
 * The soak's fleet, all real processes on loopback: `cortex serve` in front of two neurons on the fake
 * engine (five models with realistic load and token timings, room for two each: constant eviction
 * churn) and one neuron on node-llama-cpp (two generated models, room for one). Neurons listen on fixed
 * ports so a killed one comes back where the gateway's config says it is.
 */

/** A fake model's memory; the fake neurons' budget holds two. */
const FAKE_MODEL_BYTES = 300 * 1024 * 1024;
const FAKE_BUDGET = "700MiB";
/** The generated models take ~10 MB at context 512: room for one at a time. */
const REAL_BUDGET = "15MiB";

export const FAKE_MODELS = ["fake-1", "fake-2", "fake-3", "fake-4", "fake-5"] as const;
export const REAL_MODELS = ["real-llama", "real-qwen"] as const;
/** Added to models.toml by the reload; clients use it once the gateway lists it. */
export const RELOAD_ALIAS = "soak-alias";

export interface SoakNeuronSpec {
  readonly name: string;
  readonly engine: "fake" | "llama.cpp";
  readonly models: readonly string[];
}

export const NEURONS: readonly SoakNeuronSpec[] = [
  { name: "fake-a", engine: "fake", models: FAKE_MODELS },
  { name: "fake-b", engine: "fake", models: FAKE_MODELS },
  { name: "llama", engine: "llama.cpp", models: REAL_MODELS },
];

export class SoakNeuron {
  readonly spec: SoakNeuronSpec;
  readonly port: number;
  readonly dir: string;
  #process: SpawnedProcess | undefined;

  constructor(spec: SoakNeuronSpec, port: number, dir: string) {
    this.spec = spec;
    this.port = port;
    this.dir = dir;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#process?.child.pid;
  }

  async start(): Promise<void> {
    this.#process = await spawnNeuron({
      modelsDir: this.dir,
      config: join(this.dir, "neuron.toml"),
      args: ["--listen", `127.0.0.1:${this.port}`],
      env: this.spec.engine === "fake" ? { CORTEX_TEST_ENGINE: "fake" } : {},
    });
  }

  /** SIGKILL: no goodbye to the gateway, streams cut mid-way. */
  async kill(): Promise<void> {
    await this.#process?.stop("SIGKILL");
  }

  async stop(): Promise<void> {
    await this.#process?.stop("SIGKILL");
  }

  output(): string {
    return this.#process?.output() ?? "";
  }
}

export class SoakGateway {
  readonly dir: string;
  #process: SpawnedProcess | undefined;
  #metricsUrl = "";

  constructor(dir: string) {
    this.dir = dir;
  }

  get url(): string {
    return this.#process?.url ?? "";
  }

  get metricsUrl(): string {
    return this.#metricsUrl;
  }

  get pid(): number | undefined {
    return this.#process?.child.pid;
  }

  async start(): Promise<void> {
    const spawned = await spawnListening(
      process.execPath,
      [
        join(repoRoot(), "packages/cli/bin/cortex.js"),
        "serve",
        "--config",
        join(this.dir, "cortex.toml"),
        "--models",
        join(this.dir, "models.toml"),
      ],
      { timeoutMs: 30_000, env: { CORTEX_LOG_LEVEL: "info" } },
    );
    const metrics = /metrics on (http:\/\/\S+)\/metrics/.exec(spawned.output())?.[1];
    if (!metrics) throw new Error(`gateway printed no metrics address:\n${spawned.output()}`);
    this.#process = spawned;
    this.#metricsUrl = metrics;
  }

  /** SIGHUP: reload cortex.toml and models.toml. */
  reload(): void {
    this.#process?.child.kill("SIGHUP");
  }

  async stop(): Promise<void> {
    await this.#process?.stop("SIGTERM");
  }

  output(): string {
    return this.#process?.output() ?? "";
  }
}

export interface SoakFleet {
  readonly gateway: SoakGateway;
  readonly neurons: readonly SoakNeuron[];
  /** Rewrites the gateway's config files with the reload's changes (then SIGHUP it). */
  writeReloadedConfig(): Promise<void>;
  close(): Promise<void>;
}

export async function startSoakFleet(log: (line: string) => void): Promise<SoakFleet> {
  const root = await mkdtemp(join(tmpdir(), "cortex-soak-"));
  const neurons: SoakNeuron[] = [];
  const gateway = new SoakGateway(root);
  const close = async (): Promise<void> => {
    await gateway.stop().catch(() => undefined);
    await Promise.all(neurons.map((neuron) => neuron.stop().catch(() => undefined)));
    await rm(root, { recursive: true, force: true });
  };
  try {
    for (const spec of NEURONS) {
      const dir = await mkdtemp(join(root, `${spec.name}-`));
      await writeNeuronFiles(dir, spec);
      neurons.push(new SoakNeuron(spec, await freePort(), dir));
    }
    log(
      `soak: starting ${neurons.length} neurons (${NEURONS.map((n) => `${n.name}: ${n.engine}`).join(", ")})`,
    );
    await Promise.all(neurons.map((neuron) => neuron.start()));
    await writeGatewayConfig(root, neurons, false);
    await gateway.start();
    log(`soak: gateway on ${gateway.url}, metrics on ${gateway.metricsUrl}`);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    gateway,
    neurons,
    writeReloadedConfig: () => writeGatewayConfig(root, neurons, true),
    close,
  };
}

async function writeNeuronFiles(dir: string, spec: SoakNeuronSpec): Promise<void> {
  const common = [
    `name = "${spec.name}"`,
    `context_size = 512`,
    `memory_headroom = "0"`,
    `hf_cache = false`,
    `[kv_cache]`,
    `ram = "0"`,
    `disk = "0"`,
  ];
  if (spec.engine === "fake") {
    for (const [index, model] of spec.models.entries()) {
      // Realistic shapes: loads of a second or so, ~60 tokens/s, a little prompt evaluation time.
      await writeFakeModelFile(join(dir, `${model}.gguf`), {
        memory: FAKE_MODEL_BYTES,
        loadDelayMs: 600 + 200 * index,
        tokenDelayMs: 15,
        prefillMsPerToken: 0.5,
      });
    }
    await writeFile(
      join(dir, "neuron.toml"),
      [`memory_budget = "${FAKE_BUDGET}"`, `parallel = 4`, `queue_limit = 64`, ...common, ""].join("\n"),
    );
    return;
  }
  const { symlink } = await import("node:fs/promises");
  const arch = { "real-llama": "llama", "real-qwen": "qwen3" } as const;
  for (const model of spec.models) {
    const options = { arch: arch[model as keyof typeof arch], quant: "q8_0" as const };
    await symlink(await fixtureModel(options), join(dir, `${model}.gguf`));
  }
  await writeFile(
    join(dir, "neuron.toml"),
    [
      `memory_budget = "${REAL_BUDGET}"`,
      `parallel = 2`,
      `queue_limit = 64`,
      `threads = 1`,
      `batch_threads = 1`,
      ...common,
      "",
    ].join("\n"),
  );
}

/**
 * The reload changes what a SIGHUP must apply while requests are running: timeouts (so every neuron
 * pool is rebuilt and the old ones drain), the cold-load queue limit, the poll interval and a new alias.
 */
async function writeGatewayConfig(
  root: string,
  neurons: readonly SoakNeuron[],
  reloaded: boolean,
): Promise<void> {
  await writeFile(
    join(root, "cortex.toml"),
    [
      "[gateway]",
      `listen = "127.0.0.1:0"`,
      `metrics_listen = "127.0.0.1:0"`,
      "[timeouts]",
      `connect = "2s"`,
      `first_byte = "30s"`,
      `idle = "${reloaded ? "12s" : "10s"}"`,
      `load = "30s"`,
      "[scheduler]",
      `queue_limit = ${reloaded ? 256 : 200}`,
      "[fleet]",
      `poll_interval = "${reloaded ? "1500ms" : "1s"}"`,
      `down_after = 2`,
      ...neurons.flatMap((neuron) => [
        "[[neurons]]",
        `name = "${neuron.spec.name}"`,
        `endpoint = "${neuron.url}"`,
      ]),
      "",
    ].join("\n"),
  );
  await writeFile(
    join(root, "models.toml"),
    [
      ...REAL_MODELS.flatMap((model) => ["[[models]]", `id = "${model}"`, `context_size = 512`]),
      ...(reloaded ? ["[[models]]", `id = "${FAKE_MODELS[0]}"`, `aliases = ["${RELOAD_ALIAS}"]`] : []),
      "",
    ].join("\n"),
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

/** Resident set size of a process in bytes (Linux /proc), undefined elsewhere or once it is gone. */
export function rssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}
