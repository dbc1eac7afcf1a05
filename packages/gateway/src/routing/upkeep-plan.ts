import type { EvictionStrategy, FleetSnapshot, ModelOnNode, PlacementRequest } from "./fleet-snapshot.js";
import { humanAge } from "@cortex/core";
import { planPlacement, type Eviction } from "./placement.js";

/**
 * What the scheduler does on its own between requests, as a pure function of the fleet: unload models
 * idle past their TTL, unload replicas beyond `min` that sat idle, add a replica where a model's
 * requests queue too long, and bring a model up to its `min` replicas. The scheduler runs this after
 * every poll and executes the actions, logging each with its reason.
 */

export interface UpkeepProfile {
  readonly replicas: { readonly min: number; readonly max: number };
  /** Milliseconds; 0 = never. */
  readonly idleUnloadMs: number;
  readonly pinned: boolean;
  readonly requiredMemory?: number;
  readonly allowedNodes?: readonly string[];
  readonly preferredNodes?: readonly string[];
}

/** This gateway's queue of one model, as upkeep needs it. */
export interface QueueState {
  readonly waiting: number;
  /** How long the oldest waiting request has waited (ms). */
  readonly oldestWaitMs: number;
  /**
   * Sequences free on the nodes that have the model: requests may wait for the node holding their
   * prefix while others are free, which is no reason for another replica.
   */
  readonly freeSequences: number;
}

export interface UpkeepInput {
  readonly snapshot: FleetSnapshot;
  profileOf(modelId: string): UpkeepProfile;
  /** Waiting requests per model (models without any may be absent). */
  readonly queues: ReadonlyMap<string, QueueState>;
  /** Models used since the gateway started (requests or operator loads): `min` applies to them. */
  readonly used: ReadonlySet<string>;
  /**
   * When this gateway first saw the copy loaded: a loaded model nobody used yet (an operator's load)
   * counts as idle from then, not forever.
   */
  loadedSince(node: string, modelId: string): number | undefined;
  /** Models a load is already running for (a cold load, an earlier upkeep action). */
  readonly loading: ReadonlySet<string>;
  readonly replicaAfterMs: number;
  readonly replicaIdleMs: number;
  readonly strategy: EvictionStrategy;
  readonly extraHeadroom: number;
}

export type UpkeepAction =
  | {
      readonly kind: "idle_unload" | "replica_unload";
      readonly node: string;
      readonly modelId: string;
      readonly reason: string;
    }
  | {
      readonly kind: "replica_load";
      readonly node: string;
      readonly modelId: string;
      readonly evict: readonly Eviction[];
      readonly reason: string;
    };

const HOLDING = new Set(["loaded", "loading", "converting"]);

/** At most one load and one unload per model per pass: the next poll shows what they changed. */
export function planUpkeep(input: UpkeepInput): UpkeepAction[] {
  const { snapshot } = input;
  const actions: UpkeepAction[] = [];
  const ids = new Set(snapshot.nodes.flatMap((node) => node.models.map((model) => model.id)));
  for (const modelId of [...ids].sort()) {
    const profile = input.profileOf(modelId);
    const copies = snapshot.nodes.flatMap((node) => {
      if (node.state === "down") return [];
      const entry = node.models.find((model) => model.id === modelId && HOLDING.has(model.state));
      return entry ? [{ node: node.name, entry }] : [];
    });
    const queue = input.queues.get(modelId);
    const waiting = queue?.waiting ?? 0;
    /** Milliseconds the copy has been idle; null while it is busy, queued for or not loaded. */
    const idle = (node: string, entry: ModelOnNode): number | null =>
      entry.state === "loaded" && entry.inFlight === 0 && entry.queued === 0 && waiting === 0
        ? snapshot.at - (entry.lastUsed ?? input.loadedSince(node, modelId) ?? snapshot.at)
        : null;

    // Idle TTL: every copy unused that long goes, unless the model is pinned.
    const ttl = profile.idleUnloadMs;
    const expired =
      ttl > 0 && !profile.pinned
        ? copies.filter(({ node, entry }) => {
            const since = idle(node, entry);
            return since !== null && since >= ttl;
          })
        : [];
    for (const { node, entry } of expired) {
      actions.push({
        kind: "idle_unload",
        node,
        modelId,
        reason: `unused ${unusedFor(entry, snapshot.at)} (idle_unload ${humanAge(ttl)})`,
      });
    }
    const kept = copies.filter((copy) => !expired.includes(copy));

    // Replicas beyond min that sat idle: the one idle longest goes.
    if (kept.length > profile.replicas.min) {
      const surplus = kept
        .map((copy) => ({ ...copy, since: idle(copy.node, copy.entry) }))
        .filter((copy): copy is typeof copy & { since: number } => copy.since !== null)
        .filter((copy) => copy.since >= input.replicaIdleMs)
        .sort((a, b) => b.since - a.since || a.node.localeCompare(b.node))[0];
      if (surplus) {
        actions.push({
          kind: "replica_unload",
          node: surplus.node,
          modelId,
          reason:
            `replica beyond min ${profile.replicas.min} (${kept.length} running) unused ` +
            `${unusedFor(surplus.entry, snapshot.at)} (replica_idle ${humanAge(input.replicaIdleMs)})`,
        });
        continue;
      }
    }

    if (input.loading.has(modelId) || kept.length >= profile.replicas.max) continue;
    const queued =
      queue !== undefined &&
      waiting > 0 &&
      queue.freeSequences === 0 &&
      queue.oldestWaitMs >= input.replicaAfterMs;
    const belowMin =
      kept.length < profile.replicas.min && (profile.pinned || (input.used.has(modelId) && kept.length > 0));
    if (!queued && !belowMin) continue;
    const load = planReplica(
      input,
      modelId,
      profile,
      copies.map((copy) => copy.node),
      !queued,
    );
    if (load === null) continue;
    const why = queued
      ? `${waiting} request${waiting === 1 ? "" : "s"} waiting, the oldest for ${humanAge(queue.oldestWaitMs)} ` +
        `(replica_after ${humanAge(input.replicaAfterMs)}); replica ${kept.length + 1} of at most ${profile.replicas.max}`
      : `replica ${kept.length + 1} of min ${profile.replicas.min}${profile.pinned ? " (pinned)" : ""}`;
    actions.push({ ...load, reason: `${why}: ${load.reason}` });
  }
  return actions;
}

/**
 * Where another copy can go: a node not holding the model yet, through the ordinary placement policy
 * (which never evicts anything busy). `fitOnly`: only where it fits without evicting anything (what a
 * `min` replica may do; a queue long enough to add a replica may evict idle models).
 */
function planReplica(
  input: UpkeepInput,
  modelId: string,
  profile: UpkeepProfile,
  holders: readonly string[],
  fitOnly: boolean,
): (Omit<Extract<UpkeepAction, { kind: "replica_load" }>, "reason"> & { reason: string }) | null {
  const others = {
    ...input.snapshot,
    nodes: input.snapshot.nodes.filter((node) => !holders.includes(node.name)),
  };
  const request: PlacementRequest = {
    modelId,
    ...(profile.requiredMemory === undefined ? {} : { requiredMemory: profile.requiredMemory }),
    ...(profile.allowedNodes ? { allowedNodes: profile.allowedNodes } : {}),
    ...(profile.preferredNodes ? { preferredNodes: profile.preferredNodes } : {}),
    extraHeadroom: input.extraHeadroom,
  };
  const plan = planPlacement(others, request, input.strategy);
  if (plan.kind !== "load" || (fitOnly && plan.evict.length > 0)) return null;
  return { kind: "replica_load", node: plan.node, modelId, evict: plan.evict, reason: plan.reason };
}

function unusedFor(entry: ModelOnNode, now: number): string {
  return entry.lastUsed === null ? "since it was loaded" : `for ${humanAge(now - entry.lastUsed)}`;
}
