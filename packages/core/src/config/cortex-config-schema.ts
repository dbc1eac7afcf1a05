import { z } from "zod";
import { configTable } from "./config-table.js";
import type { DeepReadonly } from "./deep-freeze.js";
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

function gatewaySchema(baseDir: string) {
  return configTable({
    listen: listenAddress().prefault("0.0.0.0:31313"),
    metrics_listen: listenAddress().prefault("0.0.0.0:31314"),
    // An empty list would lock every client out; absent is how auth is turned off.
    api_keys: z.array(nonEmptyString()).min(1).optional(),
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
    apiKeys: table.api_keys ?? [],
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
}).transform((table) => ({
  /** Requests that may wait for one model's cold load. */
  queueLimit: table.queue_limit,
  /** Bytes kept free on every node beyond what the node itself reports. */
  headroom: table.headroom,
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
