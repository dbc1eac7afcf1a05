import type { NeuronModel, PullRequest } from "@cortex/core";
import type { Registry } from "prom-client";
import type { CatalogEntry } from "../catalog/model-catalog.js";
import type { FleetDescription } from "../fleet-view.js";
import type { PipelineServices } from "../pipeline/pipeline.js";
import type { DecisionLog } from "../scheduler/decision-log.js";
import type { ResponseStore } from "../responses/response-store.js";
import type { Scheduler } from "../scheduler/scheduler.js";
import type { GatewayRuntime } from "../runtime/gateway-runtime.js";

/** What the gateway's handlers need, wired once in start-gateway.ts. */
export interface GatewayContext extends PipelineServices {
  /** The configuration in force (keys, profiles, policies); swapped whole on a reload. */
  runtime(): GatewayRuntime;
  readonly scheduler: Scheduler;
  readonly decisions: DecisionLog;
  /** The Responses API's stored responses. */
  readonly responses: ResponseStore;
  /** The Prometheus registry the metrics live in. */
  readonly registry: Registry;
  catalog(): CatalogEntry[];
  /** The fleet as the CLI and dashboard show it. */
  fleet(): FleetDescription;
  /** Model files on one node: start a Hugging Face pull there, delete a model pulled there. */
  readonly nodeFiles: {
    pull(node: string, request: PullRequest, signal: AbortSignal): Promise<NeuronModel>;
    remove(node: string, model: string, signal: AbortSignal): Promise<void>;
  };
}
