import type { FleetSnapshot } from "../routing/fleet-snapshot.js";
import { planUpkeep, type QueueState, type UpkeepAction } from "../routing/upkeep-plan.js";
import type { SchedulerEffects } from "./cold-loads.js";
import type { Decide } from "./decision-log.js";
import type { Router, SchedulerConfig } from "./router.js";

export interface UpkeepOptions {
  effects: SchedulerEffects;
  router: Router;
  config: () => SchedulerConfig;
  /** Loads a replica on `node` through the cold-load queue (its evictions are logged there). */
  loadOn: (modelId: string, node: string, signal: AbortSignal) => Promise<void>;
  /** Models a cold load is running for: upkeep adds no replica of them meanwhile. */
  coldLoading: () => ReadonlySet<string>;
  decide: Decide;
  now: () => number;
  onError: (message: string, error: unknown) => void;
}

/**
 * What the scheduler does on its own, once per poll interval: serve the queued requests the latest
 * reports free sequences for, then execute the upkeep plan (routing/upkeep-plan.ts): idle TTL unloads,
 * idle replicas beyond `min` unloaded, replicas added where requests queue longer than `replica_after`
 * and up to `min`. The plan is made from one snapshot and executed without awaiting in between; a model
 * with an action running is left out of the next plans until it is over.
 */
export class Upkeep {
  readonly #options: UpkeepOptions;
  /** When this gateway first saw each copy loaded (node, model): idle since then if never used. */
  readonly #loadedSince = new Map<string, number>();
  /** Models with an upkeep action running. */
  readonly #busy = new Set<string>();
  #replicaLoads = 0;

  constructor(options: UpkeepOptions) {
    this.#options = options;
  }

  /** Replicas upkeep added since start (the bench reports them). */
  get replicaLoads(): number {
    return this.#replicaLoads;
  }

  /** One pass; returns the actions started (tests await `settled`). */
  tick(): UpkeepAction[] {
    const { router } = this.#options;
    router.pumpAll();
    const snapshot = router.snapshot();
    this.#trackLoaded(snapshot);
    const config = this.#options.config();
    const scheduler = config.scheduler;
    const queues = new Map<string, QueueState>();
    for (const modelId of router.queuedModels()) {
      const stats = router.queueStats(modelId);
      if (stats) queues.set(modelId, { ...stats, freeSequences: freeSequences(snapshot, modelId) });
    }
    const loading = new Set([...this.#options.coldLoading(), ...this.#busy]);
    const actions = planUpkeep({
      snapshot,
      profileOf: (modelId) => {
        const profile = config.profileOf(modelId);
        return {
          replicas: profile.replicas,
          idleUnloadMs: profile.idleUnloadMs,
          pinned: router.isPinned(modelId),
          ...(profile.requiredMemory === undefined ? {} : { requiredMemory: profile.requiredMemory }),
          ...(profile.allowedNodes ? { allowedNodes: profile.allowedNodes } : {}),
          ...(profile.preferredNodes ? { preferredNodes: profile.preferredNodes } : {}),
        };
      },
      queues,
      used: router.used,
      loadedSince: (node, modelId) => this.#loadedSince.get(copyKey(node, modelId)),
      loading,
      replicaAfterMs: scheduler.replicaAfterMs,
      replicaIdleMs: scheduler.replicaIdleMs,
      strategy: scheduler.strategy,
      extraHeadroom: scheduler.extraHeadroom,
    }).filter((action) => !this.#busy.has(action.modelId));
    for (const action of actions) this.#start(action);
    return actions;
  }

  /** Resolves once no upkeep action is running. */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running);
  }

  readonly #running = new Set<Promise<void>>();

  #start(action: UpkeepAction): void {
    const { decide, effects, router } = this.#options;
    const { modelId, node } = action;
    this.#busy.add(modelId);
    const signal = AbortSignal.timeout(this.#options.config().scheduler.loadTimeoutMs);
    let work: Promise<void>;
    switch (action.kind) {
      case "idle_unload":
      case "replica_unload": {
        const what = action.kind === "idle_unload" ? "idle_unload" : "replica";
        decide(what, modelId, node, null, `unloading ${modelId} on ${node}: ${action.reason}`);
        // Routing stops picking the copy first; the neuron still finishes anything in flight.
        const undrain = router.drain(node, modelId);
        work = effects.unload(node, modelId, signal).finally(undrain);
        break;
      }
      case "replica_load":
        decide("replica", modelId, node, null, `adding a replica of ${modelId} on ${node}: ${action.reason}`);
        this.#replicaLoads++;
        work = this.#options.loadOn(modelId, node, signal);
        break;
      default:
        action satisfies never;
        return;
    }
    const done = work
      .catch((error: unknown) => {
        this.#options.onError(`${action.kind} of ${modelId} on ${node} failed`, error);
      })
      .finally(() => {
        this.#busy.delete(modelId);
        this.#running.delete(done);
        // A new replica can take queued requests at once.
        router.pump(modelId);
      });
    this.#running.add(done);
  }

  #trackLoaded(snapshot: FleetSnapshot): void {
    const seen = new Set<string>();
    for (const node of snapshot.nodes) {
      for (const model of node.models) {
        if (model.state !== "loaded") continue;
        const key = copyKey(node.name, model.id);
        seen.add(key);
        if (!this.#loadedSince.has(key)) this.#loadedSince.set(key, snapshot.at);
      }
    }
    // Bounded by the copies loaded now: a copy that went is forgotten.
    for (const key of this.#loadedSince.keys()) if (!seen.has(key)) this.#loadedSince.delete(key);
  }
}

/** Sequences free on the copies of a model (a node that does not say counts as one free). */
function freeSequences(snapshot: FleetSnapshot, modelId: string): number {
  let free = 0;
  for (const node of snapshot.nodes) {
    if (node.state === "down") continue;
    const model = node.models.find((m) => m.id === modelId && m.state === "loaded");
    if (!model) continue;
    free += model.slots === null ? 1 : Math.max(0, model.slots - model.inFlight);
  }
  return free;
}

function copyKey(node: string, modelId: string): string {
  return `${node}\u0000${modelId}`;
}
