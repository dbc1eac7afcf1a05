import type { NeuronInfo, NeuronModel } from "@cortex/core";
import type { HeldPrefix, NodeHealth, NodeSnapshot } from "./fleet-snapshot.js";

/** What the gateway's profiles (models.toml, runtime pins) say about one model. */
export interface ModelPolicy {
  readonly pinned: boolean;
  readonly priority: number;
  /** Omit for any node. */
  readonly allowedNodes?: readonly string[];
}

export interface NodeReport {
  readonly name: string;
  readonly state: NodeHealth;
  /** The node's last `/info` and `/models`; null when it never answered. */
  readonly info: Pick<NeuronInfo, "memory"> | null;
  readonly models: readonly NeuronModel[];
  /** Ids a down node offered when it was last up (see NodeView). */
  readonly offlineModels?: readonly string[];
}

/** Joins a node's own report with the gateway's profiles into the snapshot the policies read. */
export function toNodeSnapshot(report: NodeReport, policyOf: (modelId: string) => ModelPolicy): NodeSnapshot {
  const memory = report.info?.memory ?? { total: 0, used: 0, free: 0, headroom: 0 };
  return Object.freeze({
    name: report.name,
    state: report.state,
    memory: Object.freeze({
      total: memory.total,
      used: memory.used,
      free: memory.free,
      headroom: memory.headroom,
    }),
    models: Object.freeze(
      // A model still being pulled cannot be placed or routed to; the fleet view shows it.
      report.models
        .filter((model) => model.state !== "downloading")
        .map((model) => {
          const policy = policyOf(model.id);
          return Object.freeze({
            id: model.id,
            state: model.state,
            memoryEstimate: model.memory_estimate,
            lastUsed: model.last_used,
            inFlight: model.in_flight,
            queued: model.queued,
            // The router adds its own queue and the fleet-wide replica count (see Router.snapshot).
            waiting: 0,
            surplus: false,
            pinned: policy.pinned,
            priority: policy.priority,
            allowed: policy.allowedNodes?.includes(report.name) ?? true,
            slots: model.sequences ?? null,
            prefixes: model.prefixes ? heldPrefixes(model.prefixes.prefixes) : null,
            prefillMsPerToken: model.prefill_tokens_per_s ? 1000 / model.prefill_tokens_per_s : null,
          });
        }),
    ),
  });
}

/** Built once per report (the snapshot is cached per report), looked up per request. */
function heldPrefixes(prefixes: readonly { fp: string; tokens: number; where: HeldPrefix["where"] }[]) {
  const held = new Map<string, HeldPrefix>();
  // Most recently used first: an earlier entry of the same fingerprint is the fresher one.
  for (const { fp, tokens, where } of prefixes) if (!held.has(fp)) held.set(fp, { tokens, where });
  return held;
}
