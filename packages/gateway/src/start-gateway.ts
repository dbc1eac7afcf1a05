import { createServer, type Server } from "node:http";
import {
  CortexError,
  boundUrls,
  gatewayExposureWarnings,
  isLoopbackHost,
  newId,
  type CortexConfig,
  type ModelsConfig,
} from "@cortex/core";
import type { FastifyBaseLogger, InjectOptions, LightMyRequestResponse } from "fastify";
import { Registry } from "prom-client";
import { ModelCatalogue } from "./catalog/model-catalog.js";
import type { NeuronClient } from "./cluster/neuron-client.js";
import { NeuronClients, type NeuronClientSettings } from "./cluster/neuron-clients.js";
import { NodeRegistry } from "./cluster/node-registry.js";
import { StatusPoller } from "./cluster/status-poller.js";
import { describeFleet } from "./fleet-view.js";
import { buildGatewayApp, type GatewayRoute } from "./http/gateway-app.js";
import type { GatewayContext } from "./http/gateway-context.js";
import { createGatewayMetrics } from "./metrics/gateway-metrics.js";
import { ResponseStore } from "./responses/response-store.js";
import { DecisionLog } from "./scheduler/decision-log.js";
import { Scheduler, type SchedulerEffects } from "./scheduler/scheduler.js";
import { GatewayRuntime } from "./runtime/gateway-runtime.js";

export interface StartGatewayOptions {
  config: CortexConfig;
  models: ModelsConfig;
  logger: FastifyBaseLogger;
  extraRoutes?: (ctx: GatewayContext) => readonly GatewayRoute[];
  anthropicPingMs?: number;
}

export interface RunningGateway {
  /** Where a client on this machine reaches the API (loopback when bound to all interfaces). */
  url: string;
  metricsUrl: string;
  /** Where the servers are really bound (`http://0.0.0.0:31313`), for the start line. */
  listenUrl: string;
  metricsListenUrl: string;
  /** Open-deployment warnings (also logged): who can reach this gateway without a credential. */
  warnings: readonly string[];
  context: GatewayContext;
  /**
   * SIGHUP: everything in cortex.toml and models.toml takes effect at once (keys, timeouts, policies,
   * profiles, neurons). A change to a key that needs a restart (listen addresses, body limit) refuses the
   * whole reload with a `ReloadRefusedError` naming the keys; the running configuration stays.
   */
  reload(config: CortexConfig, models: ModelsConfig): void;
  /** A request served in-process, without a socket (light-my-request): for property tests. */
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** A reload that would need a restart to take effect; nothing of it was applied. */
export class ReloadRefusedError extends Error {
  readonly keys: readonly string[];

  constructor(keys: readonly string[]) {
    super(`${keys.join(", ")} cannot change without a restart; keeping the running configuration`);
    this.name = "ReloadRefusedError";
    this.keys = keys;
  }
}

export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const { logger } = options;
  let runtime = new GatewayRuntime(options.config, options.models);
  const current = (): GatewayRuntime => runtime;
  const now = Date.now;
  const clients = new NeuronClients(runtime.config.neurons, clientSettings(runtime.config));
  const registry = new NodeRegistry({
    neurons: runtime.config.neurons,
    downAfter: runtime.config.fleet.downAfter,
    onTransition: (node, from, to, reason) =>
      logger.info({ node: node.name, from, to, reason }, "node state"),
  });
  const poller = new StatusPoller({ registry, clients, pollInterval: runtime.config.fleet.pollInterval });
  const decisions = new DecisionLog();
  const promRegistry = new Registry();
  const metrics = createGatewayMetrics(promRegistry, {
    reports: () => registry.snapshot(),
    // Read at scrape time, when the scheduler below exists.
    localInFlight: () => scheduler.localInFlight(),
    loadWaiters: () => scheduler.loadWaiters,
    isCatalogued: (id) => runtime.hasProfile(id) || catalogue.isServed(id),
  });
  const effects: SchedulerEffects = {
    load: async (node, model, signal) => {
      const client = clients.get(node);
      if (!client) throw new CortexError("node_unavailable", `node ${node} is no longer configured`);
      const started = now();
      const contextSize = runtime.profileOf(model).contextSize;
      try {
        registry.noteModel(
          node,
          await client.load({ model, ...(contextSize ? { context_size: contextSize } : {}) }, signal),
        );
        metrics.loads.inc({ model, node, result: "ok" });
        metrics.loadDuration.observe({ model, node }, (now() - started) / 1000);
        // The node's free memory changed too: the next placement must not plan from the old figure.
        await poller.refreshNode(node).catch(() => undefined);
      } catch (error) {
        metrics.loads.inc({ model, node, result: "error" });
        await poller.refreshNode(node).catch(() => undefined);
        throw error;
      }
    },
    unload: async (node, model, signal) => {
      const client = clients.get(node);
      if (!client) throw new CortexError("node_unavailable", `node ${node} is no longer configured`);
      registry.noteModel(node, await client.unload({ model }, signal));
      await poller.refreshNode(node).catch(() => undefined);
    },
    pin: async (node, model, pinned, signal) => {
      const client = clients.get(node);
      if (!client) throw new CortexError("node_unavailable", `node ${node} is no longer configured`);
      // Noted at once: the next routing decision and the fleet view see the pin before the next poll.
      registry.noteModel(node, await client.pin({ model, pinned }, signal));
    },
  };
  const scheduler: Scheduler = new Scheduler({
    effects,
    reports: () => registry.snapshot(),
    config: current,
    decisions,
    now,
    onError: (message, error) => logger.warn({ err: error }, message),
  });
  decisions.subscribe((decision) => {
    logger.info({ kind: decision.kind, model: decision.model, node: decision.node }, decision.message);
    if (decision.kind === "evict" && decision.node) {
      const reason = runtime.scheduler.strategy;
      metrics.evictions.inc({ model: decision.model, node: decision.node, reason });
      metrics.swaps.inc({ node: decision.node });
    }
    if (decision.kind === "defrag") metrics.defragMoves.inc();
  });
  const catalogue = new ModelCatalogue(
    current,
    () => registry.snapshot(),
    (id) => scheduler.isPinned(id),
  );
  /** The client of a configured node, or a 400 naming the nodes there are. */
  const clientFor = (node: string): NeuronClient => {
    const client = clients.get(node);
    if (client) return client;
    const names = runtime.config.neurons.map((neuron) => neuron.name).join(", ");
    throw new CortexError("invalid_request", `no node named ${node} (nodes: ${names || "none"})`, {
      param: "node",
    });
  };
  const context: GatewayContext = {
    runtime: current,
    scheduler,
    decisions,
    responses: new ResponseStore(() => runtime.responsesStore, now),
    metrics,
    registry: promRegistry,
    catalog: () => catalogue.entries(),
    fleet: () => describeFleet(registry.snapshot(), scheduler, decisions, (id) => runtime.profileOf(id)),
    resolveModel: (requested) => catalogue.resolve(requested),
    route: (modelId, routeContext) => scheduler.route(modelId, routeContext),
    clientOf: (node) => clients.get(node),
    upstreamFailed: (node, kind) => {
      metrics.upstreamErrors.inc({ node, kind });
      // Do not wait for the next poll to stop routing to a node that refuses connections.
      if (kind === "connect") void poller.refreshNode(node).catch(() => undefined);
    },
    nodeFiles: {
      pull: async (node, request, signal) => {
        const model = await clientFor(node).pull(request, signal);
        await poller.refreshNode(node).catch(() => undefined);
        return model;
      },
      remove: async (node, model, signal) => {
        await clientFor(node).deleteModel(model, signal);
        await poller.refreshNode(node).catch(() => undefined);
      },
    },
    now,
    newId,
    keyless: () => runtime.apiKeys.length === 0,
  };
  const app = buildGatewayApp(context, {
    bodyLimit: runtime.config.gateway.bodyLimit,
    loopbackOnly: isLoopbackHost(runtime.config.gateway.listen.host),
    limits: {
      requestTimeoutMs: runtime.config.timeouts.request,
      maxConnections: runtime.config.gateway.maxConnections,
    },
    logger,
    anthropicPingMs: options.anthropicPingMs ?? 10_000,
    ...(options.extraRoutes ? { extraRoutes: options.extraRoutes(context) } : {}),
  });
  await poller.pollNow();
  for (const node of registry.snapshot()) {
    // Transitions are logged when they happen; a node that never answered has had none yet.
    if (node.state === "down") {
      logger.warn(
        { node: node.name, endpoint: node.endpoint, error: node.lastError?.message },
        "neuron not reachable yet",
      );
    }
  }
  poller.start();
  // Upkeep (queued requests, idle TTL, replicas) runs at the poll interval: it acts on what polls show.
  const runUpkeep = (): void => {
    try {
      scheduler.upkeep();
    } catch (error) {
      logger.warn({ err: error }, "scheduler upkeep failed");
    }
  };
  let upkeepTimer = setInterval(runUpkeep, runtime.config.fleet.pollInterval);
  upkeepTimer.unref();
  await app.listen({ host: runtime.config.gateway.listen.host, port: runtime.config.gateway.listen.port });
  const metricsServer = await listenMetrics(promRegistry, runtime.config.gateway.metricsListen);
  const api = boundUrls(app.server.address());
  const metricsUrls = boundUrls(metricsServer.address());
  const warnings = gatewayExposureWarnings(runtime.config.gateway);
  for (const warning of warnings) logger.warn(warning);
  let closing: Promise<void> | undefined;
  return {
    url: api.local,
    metricsUrl: metricsUrls.local,
    listenUrl: api.bound,
    metricsListenUrl: metricsUrls.bound,
    warnings,
    context,
    inject: (injected) => app.inject(injected),
    reload: (config, models) => {
      const restart = runtime.restartKeysChangedIn(config);
      if (restart.length > 0) throw new ReloadRefusedError(restart);
      runtime = new GatewayRuntime(config, models);
      clients.configure(config.neurons, clientSettings(config));
      registry.setNeurons(config.neurons);
      registry.downAfter = config.fleet.downAfter;
      poller.setPollInterval(config.fleet.pollInterval);
      clearInterval(upkeepTimer);
      upkeepTimer = setInterval(runUpkeep, config.fleet.pollInterval);
      upkeepTimer.unref();
      void poller.pollNow();
    },
    close: () => {
      closing ??= (async () => {
        clearInterval(upkeepTimer);
        await poller.stop();
        await app.close();
        await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
        await clients.close();
      })();
      return closing;
    },
  };
}

function clientSettings(config: CortexConfig): NeuronClientSettings {
  return { timeouts: config.timeouts, defaultToken: config.gateway.neuronToken };
}

async function listenMetrics(registry: Registry, listen: { host: string; port: number }): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url?.split("?")[0] !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("try /metrics\n");
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { "content-type": registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { "content-type": "text/plain" }).end(String(error)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return server;
}
