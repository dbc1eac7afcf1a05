import {
  findModelProfile,
  resolveModelId,
  type ClientSettings,
  type CortexConfig,
  type EvictionStrategy,
  type ModelProfile,
  type ModelsConfig,
  type RoutingPolicy,
} from "@cortex/core";

/** What placement needs to know about one model, from models.toml. */
export interface ModelPlacementProfile {
  readonly requiredMemory?: number;
  readonly allowedNodes?: readonly string[];
  readonly preferredNodes?: readonly string[];
  readonly pinned: boolean;
  readonly priority: number;
  /** Tokens per sequence the neuron should load it with; undefined = the neuron's own default. */
  readonly contextSize?: number;
  /** On how many nodes it runs: `min` kept while they fit, up to `max` when its requests queue. */
  readonly replicas: { readonly min: number; readonly max: number };
  /** Milliseconds unused before it is unloaded (its own or cortex.toml's default); 0 = never. */
  readonly idleUnloadMs: number;
}

/** The scheduler's knobs, all from cortex.toml. */
export interface SchedulerPolicy {
  readonly strategy: EvictionStrategy;
  /** 0 = never. */
  readonly defragAfterCycles: number;
  /** Requests that may wait for one model (a free sequence or its cold load). */
  readonly queueLimit: number;
  /** How long a request waits for a cold load (and a load may take), or queued for a free sequence. */
  readonly loadTimeoutMs: number;
  /** Bytes kept free on every node on top of its own headroom. */
  readonly extraHeadroom: number;
  /** How a request picks among the nodes holding its model. */
  readonly routing: RoutingPolicy;
  /** A model whose oldest waiting request has waited this long (ms) gets another replica. */
  readonly replicaAfterMs: number;
  /** A replica beyond `min` unused this long (ms) is unloaded. */
  readonly replicaIdleMs: number;
  /** A model that has waited this long (ms) for busy models to swap out gets its turn (time-slicing). */
  readonly swapQuantumMs: number;
  /** How often the scheduler looks at the fleet on its own (idle TTL, replicas): the poll interval. */
  readonly upkeepIntervalMs: number;
}

/** How much of the Responses API's state the gateway keeps (cortex.toml `[responses]`). */
export interface ResponsesStoreLimits {
  readonly maxBytes: number;
  readonly maxAgeMs: number;
}

/** A requested model id resolved through models.toml (the claude-* fallback is the catalogue's). */
export interface ResolvedModel {
  /** The model id the neurons know. */
  readonly id: string;
  /** What the client asked for (an alias, a claude-* id), echoed back where the dialect expects it. */
  readonly requested: string;
  readonly profile: ModelProfile | undefined;
}

/**
 * Keys that a running gateway cannot change (its sockets and body parser are built with them): a reload
 * that changes one is refused, naming them, rather than half applied.
 */
const RESTART_KEYS: readonly [string, (config: CortexConfig) => unknown][] = [
  ["gateway.listen", (config) => config.gateway.listen],
  ["gateway.metrics_listen", (config) => config.gateway.metricsListen],
  ["gateway.body_limit", (config) => config.gateway.bodyLimit],
  // HTTP server options, set when the server is created.
  ["gateway.max_connections", (config) => config.gateway.maxConnections],
  ["timeouts.request", (config) => config.timeouts.request],
];

/** The keys that need a restart, by name. */
export const RESTART_KEY_NAMES: readonly string[] = RESTART_KEYS.map(([key]) => key);

/**
 * Everything the gateway derives from cortex.toml and models.toml, built once and swapped whole on a
 * reload (SIGHUP). Nothing else keeps a copy of a configured value: long-lived components read the
 * current runtime when they act, so a reload reaches all of them at once.
 */
export class GatewayRuntime {
  readonly config: CortexConfig;
  readonly models: ModelsConfig;
  readonly scheduler: SchedulerPolicy;
  readonly #profiles = new Map<string, ModelPlacementProfile>();

  constructor(config: CortexConfig, models: ModelsConfig) {
    this.config = config;
    this.models = models;
    this.scheduler = Object.freeze({
      strategy: config.eviction.strategy,
      defragAfterCycles: config.eviction.defragAfterCycles,
      queueLimit: config.scheduler.queueLimit,
      loadTimeoutMs: config.timeouts.load,
      extraHeadroom: config.scheduler.headroom,
      routing: config.scheduler.routing,
      replicaAfterMs: config.scheduler.replicaAfter,
      replicaIdleMs: config.scheduler.replicaIdle,
      swapQuantumMs: config.scheduler.swapQuantum,
      upkeepIntervalMs: config.fleet.pollInterval,
    });
  }

  /** The settings of the api key at `index` in `gateway.api_keys` (auth matched it). */
  client(index: number): ClientSettings | undefined {
    return this.config.gateway.clients[index];
  }

  /** Client keys; empty when client auth is off. */
  get apiKeys(): readonly string[] {
    return this.config.gateway.apiKeys;
  }

  /** Bounds of the Responses API's stored responses; a reload applies them at the next store. */
  get responsesStore(): ResponsesStoreLimits {
    return { maxBytes: this.config.responses.storeSize, maxAgeMs: this.config.responses.storeMaxAge };
  }

  get adminKey(): string | undefined {
    return this.config.gateway.adminKey;
  }

  /** Exact id, alias or wildcard alias → the model id and its profile (unmatched ids pass through). */
  resolve(requested: string): ResolvedModel {
    const resolved = resolveModelId(this.models, requested);
    return { id: resolved.id, requested, profile: resolved.profile };
  }

  /** Whether models.toml names `id` (a model id, not an alias). */
  hasProfile(id: string): boolean {
    return findModelProfile(this.models, id) !== undefined;
  }

  /** Memoised per runtime: the scheduler asks for it on every request. */
  profileOf(modelId: string): ModelPlacementProfile {
    let placement = this.#profiles.get(modelId);
    if (placement === undefined) {
      const profile = findModelProfile(this.models, modelId);
      placement = Object.freeze({
        ...(profile?.expectedMemory === undefined ? {} : { requiredMemory: profile.expectedMemory }),
        ...(profile?.allowedNodes === undefined ? {} : { allowedNodes: profile.allowedNodes }),
        ...(profile && profile.preferredNodes.length > 0 ? { preferredNodes: profile.preferredNodes } : {}),
        ...(profile?.contextSize === undefined ? {} : { contextSize: profile.contextSize }),
        pinned: profile?.pinned ?? false,
        priority: profile?.priority ?? 0,
        replicas: profile?.replicas ?? { min: 1, max: 1 },
        idleUnloadMs: profile?.idleUnload ?? this.config.scheduler.idleUnload,
      });
      this.#profiles.set(modelId, placement);
    }
    return placement;
  }

  /** The cortex.toml keys whose change needs a restart, between this runtime and `next`. */
  restartKeysChangedIn(next: CortexConfig): string[] {
    return RESTART_KEYS.filter(
      ([, read]) => JSON.stringify(read(this.config)) !== JSON.stringify(read(next)),
    ).map(([key]) => key);
  }
}
