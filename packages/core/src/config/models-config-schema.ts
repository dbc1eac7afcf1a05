import { z } from "zod";
import { configTable } from "./config-table.js";
import type { DeepReadonly } from "./validate-config.js";
import { describeTomlValue } from "./format-config-issues.js";
import {
  byteSize,
  duration,
  finiteNumber,
  integer,
  nodeName,
  nonEmptyString,
  tomlValue,
} from "./config-values.js";

/** Exact alias, or a prefix ending in "*" (e.g. "claude-*"). */
function modelAlias() {
  return tomlValue((value) => {
    if (typeof value !== "string" || value === "") {
      throw new Error(`expected a non-empty string (got ${describeTomlValue(value)})`);
    }
    if (value.indexOf("*") !== -1 && value.indexOf("*") !== value.length - 1) {
      throw new Error(
        `invalid alias ${describeTomlValue(value)} ("*" may only end an alias, as a prefix wildcard)`,
      );
    }
    return value;
  });
}

/** Request defaults: applied only when the request does not say. */
const samplingSchema = configTable({
  temperature: finiteNumber({ min: 0 }).optional(),
  top_p: finiteNumber({ min: 0, max: 1 }).optional(),
  top_k: integer({ min: 0 }).optional(),
  max_tokens: integer({ min: 1 }).optional(),
}).transform((table) => ({
  temperature: table.temperature,
  topP: table.top_p,
  topK: table.top_k,
  maxTokens: table.max_tokens,
}));

/** On how many nodes a model runs at once: `min` kept while they fit, up to `max` under queueing. */
const replicasSchema = configTable({
  min: integer({ min: 1, max: 64 }).prefault(1),
  max: integer({ min: 1, max: 64 }).prefault(1),
}).superRefine((table, ctx) => {
  if (typeof table.min === "number" && typeof table.max === "number" && table.min > table.max) {
    ctx.addIssue({
      code: "custom",
      path: ["min"],
      message: `must be <= max (got min ${table.min}, max ${table.max})`,
      input: table.min,
    });
  }
});

const modelProfileSchema = configTable({
  id: nonEmptyString(),
  aliases: z.array(modelAlias()).prefault([]),
  // Empty would mean "nowhere"; absent is how "any node" is written.
  allowed_nodes: z.array(nodeName()).min(1).optional(),
  preferred_nodes: z.array(nodeName()).prefault([]),
  priority: integer().prefault(0),
  pinned: z.boolean().default(false),
  context_size: integer({ min: 1 }).optional(),
  expected_memory: byteSize({ min: 1 }).optional(),
  replicas: replicasSchema.prefault({}),
  idle_unload: duration({ min: 0 }).optional(),
  sampling: samplingSchema.prefault({}),
}).transform((table) => ({
  /** The model id as neurons report it. */
  id: table.id,
  /** Exact ids, or prefixes ending in "*". */
  aliases: table.aliases,
  /** Undefined = any node. */
  allowedNodes: table.allowed_nodes,
  preferredNodes: table.preferred_nodes,
  /** Higher is evicted later under the priority strategy. */
  priority: table.priority,
  /** Never evicted once loaded. */
  pinned: table.pinned,
  contextSize: table.context_size,
  /** Bytes; undefined = use the node's estimate. */
  expectedMemory: table.expected_memory,
  replicas: table.replicas,
  /** Milliseconds unused before it is unloaded; 0 = never; undefined = cortex.toml's default. */
  idleUnload: table.idle_unload,
  sampling: table.sampling,
}));

export const modelsConfigSchema = configTable({
  models: z.array(modelProfileSchema).prefault([]),
});

export type ModelsConfig = DeepReadonly<z.output<typeof modelsConfigSchema>>;
export type ModelProfile = ModelsConfig["models"][number];
export type SamplingDefaults = ModelProfile["sampling"];
