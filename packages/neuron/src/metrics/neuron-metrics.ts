import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { NeuronModel, NeuronInfo } from "@cortex/core";

/** Seconds, from a few ms (a cached tiny model) to minutes (a cold 70B load or a long generation). */
export const LATENCY_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
];
export const RATE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

export interface NeuronMetricsSource {
  models(): NeuronModel[];
  memory(): NeuronInfo["memory"];
  /** The KV state tier's holdings, when it is on. */
  kvCache?():
    { ram: { bytes: number; entries: number }; disk: { bytes: number; entries: number } } | undefined;
}

/** Every neuron metric in one table, on an injected registry so tests read exactly what they caused. */
export function createNeuronMetrics(registry: Registry, source: NeuronMetricsSource) {
  const registers = [registry];
  const models = (): NeuronModel[] => source.models();
  return {
    requests: new Counter({
      name: "cortex_neuron_requests_total",
      help: "Inference requests by model, endpoint and HTTP status.",
      labelNames: ["model", "endpoint", "status"] as const,
      registers,
    }),
    promptTokens: new Counter({
      name: "cortex_neuron_prompt_tokens_total",
      help: "Prompt tokens of served requests (tokenized, so KV-cache hits still count).",
      labelNames: ["model"] as const,
      registers,
    }),
    promptTokensEvaluated: new Counter({
      name: "cortex_neuron_prompt_tokens_evaluated_total",
      help: "Prompt tokens actually evaluated; the difference to prompt tokens is KV-cache reuse.",
      labelNames: ["model"] as const,
      registers,
    }),
    completionTokens: new Counter({
      name: "cortex_neuron_completion_tokens_total",
      help: "Generated tokens.",
      labelNames: ["model"] as const,
      registers,
    }),
    requestDuration: new Histogram({
      name: "cortex_neuron_request_duration_seconds",
      help: "End-to-end request time on the neuron, including waiting for a sequence and any load.",
      labelNames: ["model", "endpoint"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    timeToFirstToken: new Histogram({
      name: "cortex_neuron_time_to_first_token_seconds",
      help: "From the model being ready (loaded and a sequence acquired) to the first generated token.",
      labelNames: ["model"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    decodeRate: new Histogram({
      name: "cortex_neuron_decode_tokens_per_second",
      help: "Generated tokens per second after the first token.",
      labelNames: ["model"] as const,
      buckets: RATE_BUCKETS,
      registers,
    }),
    loads: new Counter({
      name: "cortex_neuron_model_loads_total",
      help: "Model loads by result (concurrent load requests for one model count once).",
      labelNames: ["model", "result"] as const,
      registers,
    }),
    loadDuration: new Histogram({
      name: "cortex_neuron_model_load_duration_seconds",
      help: "Time to load a model (weights + context).",
      labelNames: ["model"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    queueDepth: new Gauge({
      name: "cortex_neuron_queue_depth",
      help: "Requests waiting for a free sequence.",
      labelNames: ["model"] as const,
      registers,
      collect() {
        this.reset();
        for (const model of models())
          if (model.state === "loaded") this.set({ model: model.id }, model.queued);
      },
    }),
    inFlight: new Gauge({
      name: "cortex_neuron_in_flight_requests",
      help: "Requests being served.",
      labelNames: ["model"] as const,
      registers,
      collect() {
        this.reset();
        for (const model of models()) if (model.in_flight > 0) this.set({ model: model.id }, model.in_flight);
      },
    }),
    modelState: new Gauge({
      name: "cortex_neuron_model_state",
      help: "1 for the state each model is in.",
      labelNames: ["model", "state"] as const,
      registers,
      collect() {
        this.reset();
        for (const model of models()) this.set({ model: model.id, state: model.state }, 1);
      },
    }),
    kvLookups: new Counter({
      name: "cortex_neuron_kv_cache_lookups_total",
      help: "Requests that needed a saved sequence state: restored one (hit) or found none worth it (miss).",
      labelNames: ["model", "result"] as const,
      registers,
    }),
    kvRestoreDuration: new Histogram({
      name: "cortex_neuron_kv_cache_restore_seconds",
      help: "Time to restore a saved sequence state (disk: verify and copy included).",
      labelNames: ["model", "from"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    kvRestoredBytes: new Counter({
      name: "cortex_neuron_kv_cache_restored_bytes_total",
      help: "Bytes of sequence state restored.",
      labelNames: ["model", "from"] as const,
      registers,
    }),
    kvSaves: new Counter({
      name: "cortex_neuron_kv_cache_saves_total",
      help: "Sequence states saved before their sequence was reused, by where they were filed.",
      labelNames: ["model", "where"] as const,
      registers,
    }),
    kvEvictions: new Counter({
      name: "cortex_neuron_kv_cache_evictions_total",
      help: "Saved states dropped to make room (RAM states spilled to disk are counted by spills).",
      labelNames: ["model", "where"] as const,
      registers,
    }),
    kvSpills: new Counter({
      name: "cortex_neuron_kv_cache_spills_total",
      help: "Saved states moved from RAM to disk.",
      labelNames: ["model"] as const,
      registers,
    }),
    kvDiscards: new Counter({
      name: "cortex_neuron_kv_cache_discards_total",
      help: "Saved states thrown away because they failed verification or llama.cpp refused them.",
      labelNames: ["model", "reason"] as const,
      registers,
    }),
    kvBytes: new Gauge({
      name: "cortex_neuron_kv_cache_bytes",
      help: "Bytes the KV state tier holds, in RAM and on disk.",
      labelNames: ["where"] as const,
      registers,
      collect() {
        const tier = source.kvCache?.();
        if (!tier) return;
        this.set({ where: "ram" }, tier.ram.bytes);
        this.set({ where: "disk" }, tier.disk.bytes);
      },
    }),
    kvEntries: new Gauge({
      name: "cortex_neuron_kv_cache_entries",
      help: "Saved sequence states the KV state tier holds, in RAM and on disk.",
      labelNames: ["where"] as const,
      registers,
      collect() {
        const tier = source.kvCache?.();
        if (!tier) return;
        this.set({ where: "ram" }, tier.ram.entries);
        this.set({ where: "disk" }, tier.disk.entries);
      },
    }),
    memory: new Gauge({
      name: "cortex_neuron_memory_bytes",
      help: "Memory models may use on this node (total), hold (used) and could still take (free).",
      labelNames: ["kind"] as const,
      registers,
      collect() {
        const memory = source.memory();
        this.set({ kind: "total" }, memory.total);
        this.set({ kind: "used" }, memory.used);
        this.set({ kind: "free" }, memory.free);
      },
    }),
  };
}

export type NeuronMetrics = ReturnType<typeof createNeuronMetrics>;
