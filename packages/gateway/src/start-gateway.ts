import { createServer, type Server } from "node:http";
import {
  newId,
  findModelProfile,
  formatListenAddress,
  resolveModelId,
  type CortexConfig,
  type ModelsConfig,
} from "@cortex/core";
import type { FastifyBaseLogger } from "fastify";
import { Registry } from "prom-client";
import { buildCatalog } from "./catalog/model-catalog.js";
import { NeuronClients } from "./cluster/neuron-clients.js";
import { NodeRegistry } from "./cluster/node-registry.js";
import { StatusPoller } from "./cluster/status-poller.js";
import { buildGatewayApp, type GatewayRoute } from "./http/gateway-app.js";
import type { GatewayContext, ResolvedModel } from "./http/gateway-context.js";
import { createGatewayMetrics } from "./metrics/gateway-metrics.js";
import { DecisionLog } from "./routing/decision-log.js";
import { Scheduler, type ModelPlacementProfile, type SchedulerEffects } from "./routing/scheduler.js";
import { describeFleet } from "./fleet-view.js";

export interface StartGatewayOptions {
  config: CortexConfig;
  models: ModelsConfig;
  logger: FastifyBaseLogger;
  extraRoutes?: (ctx: GatewayContext) => readonly GatewayRoute[];
  anthropicPingMs?: number;
}

export interface RunningGateway {
  url: string;
  metricsUrl: string;
  context: GatewayContext;
  /** SIGHUP: new neurons and profiles take effect; listen addresses need a restart. */
  reload(config: CortexConfig, models: ModelsConfig): void;
  close(): Promise<void>;
}

export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const { logger } = options;
  let config = options.config;
  let models = options.models;
  const now = Date.now;
  const clients = new NeuronClients(config.neurons, {
    timeouts: config.timeouts,
    defaultToken: config.gateway.neuronToken,
  });
  const registry = new NodeRegistry({
    neurons: config.neurons,
    downAfter: config.fleet.downAfter,
    onTransition: (node, from, to, reason) =>
      logger.info({ node: node.name, from, to, reason }, "node state"),
  });
  const poller = new StatusPoller({ registry, clients, pollInterval: config.fleet.pollInterval });
  const decisions = new DecisionLog();
  const profileOf = (modelId: string): ModelPlacementProfile => {
    const profile = findModelProfile(models, modelId);
    return {
      ...(profile?.expectedMemory === undefined ? {} : { requiredMemory: profile.expectedMemory }),
      ...(profile?.allowedNodes === undefined ? {} : { allowedNodes: profile.allowedNodes }),
      ...(profile && profile.preferredNodes.length > 0 ? { preferredNodes: profile.preferredNodes } : {}),
      pinned: profile?.pinned ?? false,
      priority: profile?.priority ?? 0,
    };
  };
  const promRegistry = new Registry();
  const metrics = createGatewayMetrics(promRegistry, {
    reports: () => registry.snapshot(),
    // Read at scrape time, when the scheduler below exists.
    localInFlight: () => scheduler.localInFlight(),
    isCatalogued: (id) => findModelProfile(models, id) !== undefined || isServed(id),
  });
  const effects: SchedulerEffects = {
    load: async (node, model, signal) => {
      const client = clients.get(node);
      if (!client) throw new Error(`no client for node ${node}`);
      const started = now();
      const contextSize = findModelProfile(models, model)?.contextSize;
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
      if (!client) throw new Error(`no client for node ${node}`);
      registry.noteModel(node, await client.unload({ model }, signal));
      await poller.refreshNode(node).catch(() => undefined);
    },
  };
  const scheduler: Scheduler = new Scheduler({
    effects,
    reports: () => registry.snapshot(),
    profileOf,
    strategy: config.eviction.strategy,
    defragAfterCycles: config.eviction.defragAfterCycles,
    queueLimit: config.scheduler.queueLimit,
    loadTimeoutMs: config.timeouts.load,
    extraHeadroom: config.scheduler.headroom,
    decisions,
    now,
    onError: (message, error) => logger.warn({ err: error }, message),
  });
  decisions.subscribe((decision) => {
    logger.info({ kind: decision.kind, model: decision.model, node: decision.node }, decision.message);
    if (decision.kind === "evict" && decision.node) {
      metrics.evictions.inc({ model: decision.model, node: decision.node, reason: config.eviction.strategy });
    }
    if (decision.kind === "defrag") metrics.defragMoves.inc();
  });
  const catalog = (): ReturnType<typeof buildCatalog> => buildCatalog(registry.snapshot(), models);
  let servedIds: { nodes: readonly unknown[]; ids: Set<string> } | undefined;
  const isServed = (id: string): boolean => {
    const nodes = registry.snapshot();
    // The registry's snapshot is replaced only when a node changes: rebuild the id set only then.
    if (servedIds?.nodes !== nodes) {
      servedIds = { nodes, ids: new Set(nodes.flatMap((node) => node.models.map((model) => model.id))) };
    }
    return servedIds.ids.has(id);
  };
  const resolveModel = (requested: string): ResolvedModel => {
    const resolved = resolveModelId(models, requested);
    const known = resolved.profile !== undefined || isServed(resolved.id);
    const fallback = config.gateway.defaultModel;
    // Claude Code asks for claude-* ids (its main and its haiku model); without an alias, serve the default.
    const chosen =
      !known && fallback !== undefined && requested.startsWith("claude-")
        ? resolveModelId(models, fallback)
        : resolved;
    return { id: chosen.id, requested, profile: chosen.profile };
  };
  const context: GatewayContext = {
    scheduler: scheduler,
    decisions,
    metrics,
    registry: promRegistry,
    clientOf: (node) => clients.get(node),
    resolveModel,
    catalog,
    fleet: () => describeFleet(registry.snapshot(), scheduler, decisions),
    tokenize: async (modelId, body, cancel) => {
      const route = await scheduler.route(modelId, { requestId: "count_tokens", cancel });
      try {
        const client = clients.get(route.node);
        if (!client) throw new Error(`no client for node ${route.node}`);
        return (await client.tokenize(body as never, cancel.signal)).count;
      } finally {
        route.release();
      }
    },
    upstreamFailed: (node, kind) => {
      metrics.upstreamErrors.inc({ node, kind });
      // Do not wait for the next poll to stop routing to a node that refuses connections.
      if (kind === "connect") void poller.refreshNode(node).catch(() => undefined);
    },
    modelOn: (node, modelId) => registry.get(node)?.models.find((model) => model.id === modelId),
    now,
    newId,
    anthropicPingMs: options.anthropicPingMs ?? 10_000,
    apiKeys: config.gateway.apiKeys,
    adminKey: config.gateway.adminKey,
  };
  const app = buildGatewayApp(context, {
    bodyLimit: config.gateway.bodyLimit,
    logger,
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
  await app.listen({ host: config.gateway.listen.host, port: config.gateway.listen.port });
  const metricsServer = await listenMetrics(promRegistry, config.gateway.metricsListen);
  let closing: Promise<void> | undefined;
  return {
    url: urlOf(app.server),
    metricsUrl: urlOf(metricsServer),
    context,
    reload: (nextConfig, nextModels) => {
      config = nextConfig;
      models = nextModels;
      scheduler.invalidatePolicies();
      clients.setNeurons(nextConfig.neurons);
      registry.setNeurons(nextConfig.neurons);
      void poller.pollNow();
    },
    close: () => {
      closing ??= (async () => {
        await poller.stop();
        await app.close();
        await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
        clients.close();
      })();
      return closing;
    },
  };
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

function urlOf(server: Server): string {
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("server is not listening");
  const host = address.address === "0.0.0.0" || address.address === "::" ? "127.0.0.1" : address.address;
  return `http://${formatListenAddress({ host, port: address.port })}`;
}
