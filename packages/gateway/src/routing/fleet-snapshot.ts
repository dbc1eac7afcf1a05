import type { ModelState } from "@cortex/core";

/**
 * The frozen view of the fleet that placement, eviction and defrag read. Policies are pure functions of
 * it, so the scheduler can take one snapshot, decide, and log the decision with the data it saw.
 */

/** How the poller sees a node: `degraded` answers but fails some checks, so it is a last resort. */
export type NodeHealth = "up" | "degraded" | "down";

/** `lru`: least recently used goes first; `priority`: lowest priority first, then least recently used. */
export type EvictionStrategy = "lru" | "priority";

export interface ModelOnNode {
  readonly id: string;
  readonly state: ModelState;
  /** Bytes a load takes on this node (the node's estimate); null when unknown. */
  readonly memoryEstimate: number | null;
  /** Epoch ms of the last request; null = never used, which LRU treats as oldest. */
  readonly lastUsed: number | null;
  /**
   * Requests the node has accepted for the model: holding a sequence or waiting on the node for one
   * (the neuron's `in_flight` counts both).
   */
  readonly inFlight: number;
  /** Of `inFlight`, those waiting on the node for a sequence (already counted there: never add it). */
  readonly queued: number;
  /**
   * Requests waiting for this model in this gateway's own queue (for any of its copies): a model
   * requests wait for is served before it is swapped out.
   */
  readonly waiting: number;
  /** Another copy runs elsewhere beyond the model's `min` replicas: given up before other models. */
  readonly surplus: boolean;
  readonly pinned: boolean;
  /** Higher is more valuable; the `priority` strategy evicts the lowest first. */
  readonly priority: number;
  /** Whether the model's profile lets it run on this node; defrag only moves models where allowed. */
  readonly allowed: boolean;
  /** Sequences it has there (parallel requests); null when the node does not say (it queues itself). */
  readonly slots: number | null;
  /** Prefixes the node serves fast for it, by fingerprint (docs/architecture.md); null: not reported. */
  readonly prefixes: ReadonlyMap<string, HeldPrefix> | null;
  /** Measured prompt evaluation speed there (ms per token); null before a measurement. */
  readonly prefillMsPerToken: number | null;
}

/** A prefix a node holds: the prompt tokens behind a fingerprint, and where the fastest copy is. */
export interface HeldPrefix {
  readonly tokens: number;
  readonly where: "sequence" | "ram" | "disk";
}

export interface NodeMemory {
  readonly total: number;
  /** Reserved by loaded, loading and unloading models: memory being unloaded is not free yet. */
  readonly used: number;
  readonly free: number;
  /** The node's own safety margin, kept free. */
  readonly headroom: number;
}

export interface NodeSnapshot {
  readonly name: string;
  readonly state: NodeHealth;
  readonly memory: NodeMemory;
  /** Every model the node can serve, in any state: a node can only load what it lists. */
  readonly models: readonly ModelOnNode[];
}

export interface FleetSnapshot {
  /** Epoch ms the snapshot describes; used only to phrase reasons ("last used 12m ago"). */
  readonly at: number;
  readonly nodes: readonly NodeSnapshot[];
}

export interface PlacementRequest {
  readonly modelId: string;
  /** Bytes the model needs (from its profile); omit to use each node's own estimate. */
  readonly requiredMemory?: number;
  /** Only these nodes may host it; omit for any node. */
  readonly allowedNodes?: readonly string[];
  /** Tie-breaker: these nodes win among otherwise comparable choices. */
  readonly preferredNodes?: readonly string[];
  /** Gateway-wide margin kept free on top of each node's own headroom. */
  readonly extraHeadroom: number;
}
