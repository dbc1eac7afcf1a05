import type { Cancellation } from "../cancellation.js";
import type { ModelProfile } from "@cortex/core";
import type { Registry } from "prom-client";
import type { UpstreamClient } from "../dispatch/open-upstream.js";
import type { GatewayMetrics } from "../metrics/gateway-metrics.js";
import type { DecisionLog } from "../routing/decision-log.js";
import type { Scheduler } from "../routing/scheduler.js";
import type { CatalogEntry } from "../catalog/model-catalog.js";
import type { NeuronModel } from "@cortex/core";

export interface ResolvedModel {
  /** The model id the neurons know. */
  id: string;
  /** What the client asked for (an alias, a claude-* id), echoed back where the dialect expects it. */
  requested: string;
  profile: ModelProfile | undefined;
}

/** What the gateway's handlers need, wired once in start-gateway.ts. */
export interface GatewayContext {
  scheduler: Scheduler;
  decisions: DecisionLog;
  metrics: GatewayMetrics;
  registry: Registry;
  clientOf: (node: string) => UpstreamClient | undefined;
  /** Aliases, wildcard aliases and the default model → a model id. */
  resolveModel: (requested: string) => ResolvedModel;
  catalog: () => CatalogEntry[];
  /** The fleet as the CLI and dashboard show it. */
  fleet: () => unknown;
  /** Exact prompt tokens from the node that would serve the model (Anthropic count_tokens). */
  tokenize: (modelId: string, body: unknown, cancel: Cancellation) => Promise<number>;
  /** A node's fresh report for one model, after an admin load/unload. */
  modelOn: (node: string, modelId: string) => NeuronModel | undefined;
  /** Counts a failure talking to a node; a refused connection also re-polls it at once. */
  upstreamFailed: (node: string, kind: "connect" | "timeout" | "status" | "stream") => void;
  now: () => number;
  newId: (prefix: string) => string;
  /** Anthropic streams send `ping` after this much silence. */
  anthropicPingMs: number;
  apiKeys: readonly string[];
  adminKey: string | undefined;
}
