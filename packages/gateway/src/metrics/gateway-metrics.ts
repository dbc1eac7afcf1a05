import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { DeepReadonly, NeuronInfo } from "@cortex/core";
import type { NodeReport } from "../routing/to-node-snapshot.js";
import { SeriesCounter, SeriesHistogram } from "./series-metrics.js";

export type FleetNodeReport = Omit<NodeReport, "info"> & { readonly info: DeepReadonly<NeuronInfo> | null };

/** Seconds, from a few ms (proxy overhead, cached prompts) to many minutes (cold loads of big models). */
export const LATENCY_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
];
export const RATE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

export interface FleetMetricsSource {
  reports(): readonly FleetNodeReport[];
  localInFlight(): readonly { node: string; model: string; count: number }[];
  /** Requests waiting for a cold load. */
  loadWaiters(): number;
  /** A model id in models.toml or offered by a node: the only ids that may become label values. */
  isCatalogued(id: string): boolean;
}

/** The label value for every model id outside the catalogue (a client may send any string). */
export const UNKNOWN_MODEL = "unknown";

/**
 * Every gateway metric in one table, on an injected registry. The per-request ones are Series* metrics
 * (same exposition as prom-client's, label sets resolved once): they run several times per request.
 * Labels are bounded: model ids pass through `modelLabel` (the catalogue's ids, else "unknown"), nodes
 * come from the config.
 */
export function createGatewayMetrics(registry: Registry, fleet: FleetMetricsSource) {
  const registers = [registry];
  const request = ["model", "node", "dialect"] as const;
  return {
    modelLabel: (id: string): string => (fleet.isCatalogued(id) ? id : UNKNOWN_MODEL),
    requests: new SeriesCounter({
      name: "cortex_gateway_requests_total",
      help: "Client requests by model, node, dialect and HTTP status.",
      labelNames: [...request, "status"] as const,
      registers,
    }),
    promptTokens: new SeriesCounter({
      name: "cortex_gateway_prompt_tokens_total",
      help: "Prompt tokens of completed requests.",
      labelNames: request,
      registers,
    }),
    completionTokens: new SeriesCounter({
      name: "cortex_gateway_completion_tokens_total",
      help: "Generated tokens of completed requests.",
      labelNames: request,
      registers,
    }),
    requestDuration: new SeriesHistogram({
      name: "cortex_gateway_request_duration_seconds",
      help: "End-to-end latency as the client sees it (includes queue and cold-load wait).",
      labelNames: [...request, "status"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    timeToFirstToken: new SeriesHistogram({
      name: "cortex_gateway_time_to_first_token_seconds",
      help: "From the request being sent to a node with the model loaded to the first token (load wait excluded).",
      labelNames: request,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    decodeRate: new SeriesHistogram({
      name: "cortex_gateway_decode_tokens_per_second",
      help: "Generated tokens per second after the first token.",
      labelNames: request,
      buckets: RATE_BUCKETS,
      registers,
    }),
    queueWait: new SeriesHistogram({
      name: "cortex_gateway_queue_wait_seconds",
      help: "Time a request waited for routing (queued for a sequence, placement and any cold load), by priority class.",
      labelNames: ["model", "priority"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    coldLoadWait: new SeriesHistogram({
      name: "cortex_gateway_cold_load_wait_seconds",
      help: "Time requests waited for their model to be loaded somewhere.",
      labelNames: ["model"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    loads: new Counter({
      name: "cortex_scheduler_loads_total",
      help: "Model loads the scheduler asked for, by result.",
      labelNames: ["model", "node", "result"] as const,
      registers,
    }),
    loadDuration: new Histogram({
      name: "cortex_scheduler_load_duration_seconds",
      help: "How long loads took, as seen from the gateway.",
      labelNames: ["model", "node"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    evictions: new Counter({
      name: "cortex_scheduler_evictions_total",
      help: "Models evicted to make room, by the strategy that chose them.",
      labelNames: ["model", "node", "reason"] as const,
      registers,
    }),
    swaps: new Counter({
      name: "cortex_scheduler_swaps_total",
      help: "Models unloaded from a node to make room for another model (evictions and replica swaps).",
      labelNames: ["node"] as const,
      registers,
    }),
    routes: new Counter({
      name: "cortex_scheduler_route_decisions_total",
      help: "How requests picked their node: stick (where their prefix is), moved (its holder was loaded), no_prefix (nobody held it), load (policy without prefixes), single (one candidate).",
      labelNames: ["reason"] as const,
      registers,
    }),
    defragMoves: new Counter({
      name: "cortex_scheduler_defrag_moves_total",
      help: "Models moved between nodes by defrag.",
      registers,
    }),
    upstreamErrors: new Counter({
      name: "cortex_upstream_errors_total",
      help: "Failures talking to neurons, by kind (connect, timeout, status, body, stream).",
      labelNames: ["node", "kind"] as const,
      registers,
    }),
    nodeUp: new Gauge({
      name: "cortex_fleet_node_up",
      help: "1 when the node answers its polls, 0.5 degraded, 0 down.",
      labelNames: ["node"] as const,
      registers,
      collect() {
        this.reset();
        for (const report of fleet.reports()) {
          this.set({ node: report.name }, report.state === "up" ? 1 : report.state === "degraded" ? 0.5 : 0);
        }
      },
    }),
    memory: new Gauge({
      name: "cortex_fleet_memory_bytes",
      help: "Model memory per node (VRAM on GPU nodes, RAM or the budget on CPU nodes): total, used, free.",
      labelNames: ["node", "kind"] as const,
      registers,
      collect() {
        this.reset();
        for (const report of fleet.reports()) {
          const memory = report.info?.memory;
          if (!memory) continue;
          this.set({ node: report.name, kind: "total" }, memory.total);
          this.set({ node: report.name, kind: "used" }, memory.used);
          this.set({ node: report.name, kind: "free" }, memory.free);
        }
      },
    }),
    ram: new Gauge({
      name: "cortex_fleet_ram_bytes",
      help: "Host RAM per node: total and used.",
      labelNames: ["node", "kind"] as const,
      registers,
      collect() {
        this.reset();
        for (const report of fleet.reports()) {
          const info = report.info;
          if (!info) continue;
          this.set({ node: report.name, kind: "total" }, info.ram_total);
          this.set({ node: report.name, kind: "used" }, info.ram_total - info.ram_free);
        }
      },
    }),
    vram: new Gauge({
      name: "cortex_fleet_vram_bytes",
      help: "GPU memory per node and device: total and used.",
      labelNames: ["node", "gpu", "kind"] as const,
      registers,
      collect() {
        this.reset();
        for (const report of fleet.reports()) {
          for (const gpu of report.info?.gpus ?? []) {
            this.set({ node: report.name, gpu: String(gpu.index), kind: "total" }, gpu.vram_total);
            this.set(
              { node: report.name, gpu: String(gpu.index), kind: "used" },
              gpu.vram_total - gpu.vram_free,
            );
          }
        }
      },
    }),
    modelsLoaded: new Gauge({
      name: "cortex_fleet_models_loaded",
      help: "Models loaded per node.",
      labelNames: ["node"] as const,
      registers,
      collect() {
        this.reset();
        for (const report of fleet.reports()) {
          this.set({ node: report.name }, report.models.filter((model) => model.state === "loaded").length);
        }
      },
    }),
    inFlight: new Gauge({
      name: "cortex_fleet_in_flight_requests",
      help: "Requests this gateway has in flight per node and model.",
      labelNames: ["node", "model"] as const,
      registers,
      collect() {
        this.reset();
        for (const { node, model, count } of fleet.localInFlight()) this.set({ node, model }, count);
      },
    }),
    loadWaiters: new Gauge({
      name: "cortex_scheduler_queued_requests",
      help: "Requests this gateway holds back: waiting for a free sequence of their model or for its cold load.",
      registers,
      collect() {
        this.set(fleet.loadWaiters());
      },
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
