import type { NeuronInfo } from "@cortex/core";
import type { Registry } from "prom-client";
import type { NeuronMetrics } from "../metrics/neuron-metrics.js";
import type { ModelManager } from "../models/model-manager.js";
import type { PullManager } from "../hub/pull-manager.js";

/** What route handlers need, wired once in app.ts. */
export interface NeuronContext {
  manager: ModelManager;
  pulls: PullManager;
  metrics: NeuronMetrics;
  registry: Registry;
  info: () => Promise<NeuronInfo>;
  now: () => number;
  newId: (prefix: string) => string;
  authToken: string | undefined;
  /**
   * Test-only: honour `x-cortex-force-tool-call` and `x-cortex-force-thought` (random weights never call
   * tools or reason by themselves).
   */
  testHooks: boolean;
  /** Test-only: force a tool call whenever a request with tools ends with a user turn. */
  forceToolCallDefault: string | undefined;
  /** Test-only (with testHooks): every chat generation opens a thought segment. */
  forceThoughtDefault: boolean;
  /** Called for every load or unload request, before it is served (an embedder's counters). */
  onLifecycleRequest: ((action: "load" | "unload", model: string) => void) | undefined;
}
