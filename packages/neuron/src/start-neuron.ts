import type { Server } from "node:http";
import { availableParallelism } from "node:os";
import {
  boundUrls,
  isLoopbackHost,
  neuronExposureWarnings,
  newId,
  SUPPORTED_GGUF_ARCHITECTURES,
  SUPPORTED_HF_MODEL_TYPES,
  type NeuronConfig,
  type NeuronInfo,
} from "@cortex/core";
import type { FastifyBaseLogger, InjectOptions, LightMyRequestResponse } from "fastify";
import { Registry } from "prom-client";
import { removeLeftoverPartials } from "./convert/hf-conversion-cache.js";
import { discoverNode, type NodeDiscovery } from "./discovery/discover-node.js";
import type { Engine } from "./engine/engine.js";
import { LlamaCppEngine } from "./engine/llama-cpp/llama-cpp-engine.js";
import type { PhaseThreadCounts } from "./engine/llama-cpp/phase-threads.js";
import { buildNeuronApp, type NeuronRoute } from "./http/neuron-app.js";
import type { NeuronContext } from "./http/neuron-context.js";
import { KvTier } from "./kv-cache/kv-tier.js";
import { createNeuronMetrics, type NeuronMetrics } from "./metrics/neuron-metrics.js";
import { MemoryBudget } from "./models/memory-budget.js";
import type { ModelSource } from "./models/discover-models.js";
import { ModelManager } from "./models/model-manager.js";
import { HubClient, hubSettingsFromEnv, type HubSettings } from "./hub/hub-client.js";
import { PullManager } from "./hub/pull-manager.js";
import type { FreeSpace } from "./hub/pull-model.js";

const NEURON_VERSION = "0.1.0";

export interface StartNeuronOptions {
  config: NeuronConfig;
  logger: FastifyBaseLogger;
  /** Defaults to the node-llama-cpp engine; tests pass a fake. */
  engine?: Engine;
  testHooks?: boolean;
  forceToolCallDefault?: string;
  /** Test-only, honoured with `testHooks`: every chat generation opens a thought segment. */
  forceThoughtDefault?: boolean;
  /** How long shutdown waits for in-flight requests before aborting them. */
  shutdownGraceMs?: number;
  /** Pulls from Hugging Face: the hub defaults to HF_ENDPOINT / HF_TOKEN; tests inject free space. */
  pulls?: { hub?: HubSettings; freeSpace?: FreeSpace; retryDelayMs?: number };
  /** Routes an embedder adds next to the neuron API (the testkit's fake neuron: its knobs). */
  extraRoutes?: readonly NeuronRoute[];
  /** Called for every `POST /models/load` and `/models/unload`, before it is served. */
  onLifecycleRequest?: (action: "load" | "unload", model: string) => void;
}

export interface RunningNeuron {
  /** Where a client on this machine reaches the neuron (loopback when bound to all interfaces). */
  url: string;
  /** Where it is really bound (`http://0.0.0.0:13131`), for the start line. */
  listenUrl: string;
  port: number;
  /** Open-deployment warnings (also logged). */
  warnings: readonly string[];
  manager: ModelManager;
  /** The HTTP server (an embedder may watch its connections). */
  server: Server;
  /** A request served in-process, without a socket (light-my-request): for property tests. */
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

const DISCOVERY_TTL_MS = 2000;

/** Decode threads when the config says auto: leave a core for HTTP and the OS (docs/node-llama-cpp.md §4.1). */
export function autoThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * `threads` and `batch_threads` with "auto" resolved: decode leaves a core free (one token per step is
 * bound by memory and by threads waiting on each other), prompt evaluation is compute-bound and uses
 * every core (docs/decisions.md).
 */
export function resolveThreads(config: Pick<NeuronConfig, "threads" | "batchThreads">): PhaseThreadCounts {
  return {
    decode: config.threads > 0 ? config.threads : autoThreads(),
    batch: config.batchThreads > 0 ? config.batchThreads : availableParallelism(),
  };
}

export async function startNeuron(options: StartNeuronOptions): Promise<RunningNeuron> {
  const { config, logger } = options;
  const threads = resolveThreads(config);
  let kvTier: KvTier | undefined;
  const engine =
    options.engine ??
    new LlamaCppEngine({
      gpu: config.gpu,
      threads,
      queueLimit: config.queueLimit,
      kvTier: () =>
        kvTier
          ? { tier: kvTier, minTokens: config.kvCache.minTokens, restore: config.kvCache.restore }
          : undefined,
      log: (level, message) => logger[level]({ component: "llama.cpp" }, message),
    });
  let discovery: NodeDiscovery = await discoverNode(engine);
  let discoveredAt = Date.now();
  const budget = new MemoryBudget({
    source: config.memoryBudget !== undefined ? "budget" : discovery.backend === "cpu" ? "ram" : "vram",
    ...(config.memoryBudget === undefined ? {} : { limit: config.memoryBudget }),
    headroom: config.memoryHeadroom,
    device: discovery.deviceMemory,
  });
  const registry = new Registry();
  // The metrics read the manager and the tier at scrape time; they exist by then.
  const metrics = createNeuronMetrics(registry, {
    models: () => manager.list(),
    memory: () => budget.snapshot(),
    kvCache: () =>
      kvTier && {
        ram: { bytes: kvTier.ramBytes, entries: kvTier.count("ram") },
        disk: { bytes: kvTier.diskBytes, entries: kvTier.count("disk") },
      },
  });
  const log = (message: string, fields?: Record<string, unknown>): void => logger.info(fields ?? {}, message);
  const pulls: PullManager = new PullManager({
    modelsDir: config.modelsDir,
    client: new HubClient(options.pulls?.hub ?? hubSettingsFromEnv()),
    ...(options.pulls?.freeSpace ? { freeSpace: options.pulls.freeSpace } : {}),
    ...(options.pulls?.retryDelayMs === undefined ? {} : { retryDelayMs: options.pulls.retryDelayMs }),
    log,
    onPulled: () => manager.refresh(true),
  });
  if (!options.engine) {
    kvTier = await openKvTier(config, budget, discovery, metrics, (message, fields) =>
      logger.info({ component: "kv-cache", ...fields }, message),
    );
  }
  const manager: ModelManager = new ModelManager({
    modelsDir: config.modelsDir,
    sources: await modelSources(config),
    cacheDir: config.cacheDir,
    engine,
    budget,
    defaults: { contextSize: config.contextSize, parallel: config.parallel, gpuLayers: config.gpuLayers },
    overrides: config.models,
    now: Date.now,
    log,
    onStateChange: (model, state) => logger.info({ model, state }, "model state"),
    onLoadFinished: (model, ms, ok) => {
      metrics.loads.inc({ model, result: ok ? "ok" : "error" });
      if (ok) metrics.loadDuration.observe({ model }, ms / 1000);
    },
    pending: (model) => pulls.pending(model),
  });
  const leftovers = await removeLeftoverPartials(config.cacheDir);
  if (leftovers.length > 0) log("removed partial files of interrupted conversions", { files: leftovers });
  await manager.refresh(true);

  const info = async (): Promise<NeuronInfo> => {
    if (Date.now() - discoveredAt > DISCOVERY_TTL_MS) {
      discovery = await discoverNode(engine);
      discoveredAt = Date.now();
      budget.updateDevice(discovery.deviceMemory);
    }
    return {
      node: config.name,
      version: NEURON_VERSION,
      backend: discovery.backend,
      gpus: discovery.gpus,
      ram_total: discovery.ramTotal,
      ram_free: discovery.ramFree,
      cpu_threads: discovery.cpuThreads,
      threads: threads.decode,
      batch_threads: threads.batch,
      parallel: config.parallel,
      memory: budget.snapshot(),
      supported: {
        gguf_architectures: [...SUPPORTED_GGUF_ARCHITECTURES],
        hf_model_types: [...SUPPORTED_HF_MODEL_TYPES],
      },
      // Everything in models_dir that is not offered, with why: the diagnostic an operator needs.
      unsupported: [
        ...manager.unsupported,
        ...manager
          .list()
          .filter((model) => model.state === "failed")
          .map((model) => ({ path: model.id, reason: model.error ?? "failed" })),
      ],
    };
  };

  const context: NeuronContext = {
    manager,
    pulls,
    metrics,
    registry,
    info,
    now: Date.now,
    newId,
    authToken: config.authToken,
    testHooks: options.testHooks === true,
    // Test-only steering: honoured only with test hooks on, whoever passes it.
    forceToolCallDefault: options.testHooks === true ? options.forceToolCallDefault : undefined,
    forceThoughtDefault: options.testHooks === true && options.forceThoughtDefault === true,
    onLifecycleRequest: options.onLifecycleRequest,
  };
  const app = buildNeuronApp(context, {
    bodyLimit: 64 * 1024 * 1024,
    loopbackOnly: isLoopbackHost(config.listen.host),
    limits: { requestTimeoutMs: config.requestTimeout, maxConnections: config.maxConnections },
    logger,
    ...(options.extraRoutes ? { extraRoutes: options.extraRoutes } : {}),
  });
  await app.listen({ host: config.listen.host, port: config.listen.port });
  const address = app.server.address();
  const urls = boundUrls(address);
  const warnings = neuronExposureWarnings(config);
  for (const warning of warnings) logger.warn(warning);
  let closing: Promise<void> | undefined;
  return {
    url: urls.local,
    listenUrl: urls.bound,
    port: typeof address === "object" && address ? address.port : config.listen.port,
    warnings,
    manager,
    server: app.server,
    inject: (injected) => app.inject(injected),
    close: () => {
      closing ??= shutdown(app.close(), manager, pulls, engine, kvTier, options.shutdownGraceMs ?? 10_000);
      return closing;
    },
  };
}

/** models_dir first (its names win), then model_dirs, then the Hugging Face hub cache when enabled. */
async function modelSources(config: NeuronConfig): Promise<ModelSource[]> {
  const sources: ModelSource[] = [
    { kind: "dir", path: config.modelsDir },
    ...config.modelDirs.map((path): ModelSource => ({ kind: "dir", path })),
  ];
  if (config.hfCache) {
    // The library resolves HF_HUB_CACHE / HF_HOME / XDG_CACHE_HOME the way every Hugging Face tool does.
    const path = config.hfCacheDir ?? (await import("@huggingface/hub")).getHFHubCachePath();
    sources.push({ kind: "hf-cache", path });
  }
  return sources;
}

/** Stop accepting, let in-flight requests finish for a bounded time, then abort them, then dispose. */
async function shutdown(
  serverClosed: Promise<void>,
  manager: ModelManager,
  pulls: PullManager,
  engine: Engine,
  kvTier: KvTier | undefined,
  graceMs: number,
): Promise<void> {
  // Downloads stop at once; what arrived stays for the next pull of the same files.
  const pullsStopped = pulls.close();
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
  });
  await Promise.race([serverClosed, grace]);
  clearTimeout(timer);
  await manager.unloadAll(true);
  await pullsStopped;
  await serverClosed;
  await kvTier?.close();
  await engine.dispose();
}

/** Share of the memory budget (or of host RAM on GPU nodes) the tier's RAM takes when `ram = "auto"`. */
const KV_RAM_AUTO_SHARE = 0.1;

/**
 * The node's KV state tier (docs/decisions.md): on CPU nodes its RAM comes out of the memory budget,
 * as an elastic user that loads take memory back from; on GPU nodes the budget is VRAM and the tier
 * takes host RAM.
 */
async function openKvTier(
  config: NeuronConfig,
  budget: MemoryBudget,
  discovery: NodeDiscovery,
  metrics: NeuronMetrics,
  log: (message: string, fields?: Record<string, unknown>) => void,
): Promise<KvTier | undefined> {
  const { kvCache } = config;
  const sharesBudget = budget.snapshot().source !== "vram";
  const ramBasis = sharesBudget ? budget.snapshot().total : discovery.ramTotal;
  const ramLimit = kvCache.ram === "auto" ? Math.floor(ramBasis * KV_RAM_AUTO_SHARE) : kvCache.ram;
  if (ramLimit <= 0 && kvCache.disk <= 0) return undefined;
  const tier = await KvTier.open({
    ramLimit,
    diskLimit: kvCache.disk,
    dir: kvCache.dir,
    ...(sharesBudget ? { ramRoom: () => budget.snapshot().free } : {}),
    log,
    events: {
      saved: (model, where) => metrics.kvSaves.inc({ model, where }),
      evicted: (model, where) => metrics.kvEvictions.inc({ model, where }),
      spilled: (model) => metrics.kvSpills.inc({ model }),
      discarded: (model, reason) => metrics.kvDiscards.inc({ model, reason }),
      lookup: (model, hit) => metrics.kvLookups.inc({ model, result: hit ? "hit" : "miss" }),
      restored: (model, from, ms, bytes) => {
        metrics.kvRestoreDuration.observe({ model, from }, ms / 1000);
        metrics.kvRestoredBytes.inc({ model, from }, bytes);
      },
    },
  });
  if (sharesBudget) budget.attachElastic(tier);
  log("kv cache ready", { ram: ramLimit, disk: tier.diskLimit, dir: kvCache.dir });
  return tier;
}
