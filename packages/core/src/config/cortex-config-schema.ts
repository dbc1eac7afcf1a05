import { z } from "zod";
import { configTable } from "./config-table.js";
import { describeTomlValue } from "./format-config-issues.js";
import type { DeepReadonly } from "./validate-config.js";
import {
  byteSize,
  duration,
  filePath,
  httpUrl,
  integer,
  listenAddress,
  nodeName,
  nonEmptyString,
} from "./config-values.js";

export const EVICTION_STRATEGIES = ["lru", "priority"] as const;
export type EvictionStrategy = (typeof EVICTION_STRATEGIES)[number];

/**
 * Request priority classes, served in this order by every queue (a model's, a cold load's); the class
 * is a metrics label, hence a fixed small set.
 */
export const PRIORITY_CLASSES = ["high", "normal", "low"] as const;
export type PriorityClass = (typeof PRIORITY_CLASSES)[number];
export const DEFAULT_PRIORITY_CLASS: PriorityClass = "normal";

/**
 * How a request picks among the nodes that hold its model: `prefix` scores the prompt prefix each node
 * holds against its load (docs/decisions.md), `least-busy` ignores prefixes, `random` is the baseline.
 */
export const ROUTING_POLICIES = ["prefix", "least-busy", "random"] as const;
export type RoutingPolicy = (typeof ROUTING_POLICIES)[number];

const apiKeyTableSchema = configTable({
  key: nonEmptyString(),
  name: nonEmptyString().optional(),
  priority: z.enum(PRIORITY_CLASSES).default(DEFAULT_PRIORITY_CLASS),
  priority_header: z.boolean().default(false),
});

/**
 * An `api_keys` entry: a bare key, or a table naming the key and its priority settings. Dispatched on the
 * value's type rather than with a union, so a bad table reports its own keys (a union says only "Invalid
 * input").
 */
const apiKeySchema = z.unknown().transform((value, ctx): z.output<typeof apiKeyTableSchema> => {
  if (typeof value === "string" && value !== "") {
    return { key: value, priority: DEFAULT_PRIORITY_CLASS, priority_header: false };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    ctx.addIssue({
      code: "custom",
      message: `expected a key or a table { key, name, priority, priority_header } (got ${describeTomlValue(value)})`,
      input: value,
    });
    return z.NEVER;
  }
  const parsed = apiKeyTableSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: "custom" });
  return z.NEVER;
});

function gatewaySchema(baseDir: string) {
  return configTable({
    listen: listenAddress().prefault("0.0.0.0:31313"),
    metrics_listen: listenAddress().prefault("0.0.0.0:31314"),
    // An empty list would lock every client out; absent is how auth is turned off.
    api_keys: z.array(apiKeySchema).min(1).optional(),
    admin_key: nonEmptyString().optional(),
    neuron_token: nonEmptyString().optional(),
    default_model: nonEmptyString().optional(),
    body_limit: byteSize({ min: 1 }).prefault("32MiB"),
    max_connections: integer({ min: 1 }).prefault(1024),
    models_file: filePath(baseDir).optional(),
  }).transform((table) => ({
    listen: table.listen,
    metricsListen: table.metrics_listen,
    /** Empty when client auth is off. */
    apiKeys: (table.api_keys ?? []).map((entry) => entry.key),
    /** Each key's settings, in `apiKeys` order (a bare key: named `key-<n>`, class normal, no header). */
    clients: (table.api_keys ?? []).map((entry, index) => ({
      name: entry.name ?? `key-${index + 1}`,
      priority: entry.priority,
      /** Whether the key may choose its class per request with `x-cortex-priority`. */
      priorityHeader: entry.priority_header,
    })),
    /** Required for /admin/* when set; api keys never grant admin. */
    adminKey: table.admin_key,
    /** Sent to neurons as `Authorization: Bearer` unless a neuron has its own `token`. */
    neuronToken: table.neuron_token,
    /** Where unknown claude-* model ids go. */
    defaultModel: table.default_model,
    /** Bytes. */
    bodyLimit: table.body_limit,
    /** Concurrent client connections; more are closed as they arrive. */
    maxConnections: table.max_connections,
    /** Absolute path of the placement profiles (models.toml). */
    modelsFile: table.models_file,
  }));
}

/** All in milliseconds. */
const timeoutsSchema = configTable({
  connect: duration({ min: 1 }).prefault("5s"),
  first_byte: duration({ min: 1 }).prefault("300s"),
  idle: duration({ min: 1 }).prefault("120s"),
  load: duration({ min: 1 }).prefault("600s"),
  request: duration({ min: 1 }).prefault("60s"),
}).transform((table) => ({
  connect: table.connect,
  /** Includes prompt processing; a cold load is waited for separately (`load`). */
  firstByte: table.first_byte,
  /** Between stream chunks. */
  idle: table.idle,
  /** How long a request waits for a cold load. */
  load: table.load,
  /** For a client to send a whole request, headers and body (slow clients get 408); not generation. */
  request: table.request,
}));

const evictionSchema = configTable({
  strategy: z.enum(EVICTION_STRATEGIES).default("lru"),
  defrag_after_cycles: integer({ min: 0 }).prefault(50),
}).transform((table) => ({
  strategy: table.strategy,
  /** Re-pack placements after this many eviction cycles; 0 = never. */
  defragAfterCycles: table.defrag_after_cycles,
}));

const fleetSchema = configTable({
  poll_interval: duration({ min: 1 }).prefault("2s"),
  down_after: integer({ min: 1 }).prefault(3),
}).transform((table) => ({
  /** Milliseconds. */
  pollInterval: table.poll_interval,
  /** Consecutive failed polls before a node is "down" (one failure makes it "degraded"). */
  downAfter: table.down_after,
}));

const schedulerSchema = configTable({
  queue_limit: integer({ min: 1 }).prefault(64),
  headroom: byteSize().prefault(0),
  routing: z.enum(ROUTING_POLICIES).default("prefix"),
  idle_unload: duration({ min: 0 }).prefault("0"),
  replica_after: duration({ min: 1 }).prefault("2s"),
  replica_idle: duration({ min: 1 }).prefault("5m"),
  swap_quantum: duration({ min: 1 }).prefault("30s"),
}).transform((table) => ({
  /** Requests that may wait for one model (for a free sequence or its cold load). */
  queueLimit: table.queue_limit,
  /** Bytes kept free on every node beyond what the node itself reports. */
  headroom: table.headroom,
  routing: table.routing,
  /** Milliseconds a model may stay unused before it is unloaded (models.toml overrides); 0 = never. */
  idleUnload: table.idle_unload,
  /** A model whose oldest request has waited this long (ms) gets another replica, up to its `max`. */
  replicaAfter: table.replica_after,
  /** A replica beyond a model's `min` unused this long (ms) is unloaded. */
  replicaIdle: table.replica_idle,
  /**
   * Milliseconds a model may wait for busy models to be served before it gets its turn: the copies it
   * waits for then get no new requests until the swap (time-slicing, swap-thrash guard).
   */
  swapQuantum: table.swap_quantum,
}));

/** The Responses API's stored responses (`store` not false): `previous_response_id`, `GET /v1/responses/{id}`. */
const responsesSchema = configTable({
  store_size: byteSize().prefault("64MiB"),
  store_max_age: duration({ min: 1 }).prefault("24h"),
}).transform((table) => ({
  /** Bytes of stored responses (their JSON) kept in memory, oldest dropped first; 0 stores none. */
  storeSize: table.store_size,
  /** Milliseconds a stored response stays retrievable. */
  storeMaxAge: table.store_max_age,
}));

const neuronEntrySchema = configTable({
  name: nodeName(),
  endpoint: httpUrl(),
  token: nonEmptyString().optional(),
}).transform((table) => ({
  name: table.name,
  /** Normalized, without a trailing slash. */
  endpoint: table.endpoint,
  /** Overrides `gateway.neuronToken` for this neuron. */
  token: table.token,
}));

/** The schema of cortex.toml; `baseDir` resolves relative paths. */
export function cortexConfigSchema(baseDir: string) {
  return configTable({
    gateway: gatewaySchema(baseDir).prefault({}),
    timeouts: timeoutsSchema.prefault({}),
    eviction: evictionSchema.prefault({}),
    fleet: fleetSchema.prefault({}),
    scheduler: schedulerSchema.prefault({}),
    responses: responsesSchema.prefault({}),
    neurons: z.array(neuronEntrySchema).prefault([]),
  });
}

export type CortexConfig = DeepReadonly<z.output<ReturnType<typeof cortexConfigSchema>>>;
export type GatewayConfig = CortexConfig["gateway"];
export type TimeoutsConfig = CortexConfig["timeouts"];
export type EvictionConfig = CortexConfig["eviction"];
export type FleetConfig = CortexConfig["fleet"];
export type SchedulerConfig = CortexConfig["scheduler"];
export type ResponsesConfig = CortexConfig["responses"];
export type NeuronEntry = CortexConfig["neurons"][number];
/** One api key's settings (its priority class, whether it may set `x-cortex-priority`). */
export type ClientSettings = GatewayConfig["clients"][number];
