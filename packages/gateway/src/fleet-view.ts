import type { NodeView } from "./cluster/node-view.js";
import type { ModelPlacementProfile } from "./runtime/gateway-runtime.js";
import type { DecisionLog } from "./scheduler/decision-log.js";
import type { Scheduler } from "./scheduler/scheduler.js";

export type FleetDescription = ReturnType<typeof describeFleet>;

/** The fleet as `cortex status`, `GET /admin/fleet` and the dashboard show it. */
export function describeFleet(
  nodes: readonly NodeView[],
  scheduler: Scheduler,
  decisions: DecisionLog,
  profileOf: (id: string) => ModelPlacementProfile,
) {
  const local = scheduler.localInFlight();
  return {
    nodes: nodes.map((node) => ({
      name: node.name,
      endpoint: node.endpoint,
      state: node.state,
      last_seen: node.lastSeen,
      error: node.lastError?.message ?? null,
      backend: node.info?.backend ?? null,
      gpus: node.info?.gpus ?? [],
      memory: node.info?.memory ?? null,
      ram_total: node.info?.ram_total ?? null,
      ram_free: node.info?.ram_free ?? null,
      models: node.models.map((model) => ({
        id: model.id,
        state: model.state,
        progress: model.progress,
        in_flight: Math.max(
          model.in_flight,
          local.find((entry) => entry.node === node.name && entry.model === model.id)?.count ?? 0,
        ),
        queued: model.queued,
        memory_estimate: model.memory_estimate,
        last_used: model.last_used,
        context_length: model.context_length,
        pinned: scheduler.isPinned(model.id),
        /** Unloaded after this long unused (0 = never; pinned models never are). */
        idle_unload_ms: profileOf(model.id).idleUnloadMs,
        replicas: profileOf(model.id).replicas,
        /** Requests this gateway holds for the model (any node), waiting for a sequence or a load. */
        waiting: scheduler.queueStats(model.id)?.waiting ?? 0,
        ...(model.download ? { download: model.download, error: model.error } : {}),
      })),
    })),
    eviction_cycles: scheduler.evictionCycles,
    replica_loads: scheduler.replicaLoads,
    decisions: decisions.list(20),
  };
}
