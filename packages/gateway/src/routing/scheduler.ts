import type { Cancellation } from "../cancellation.js";
import { CortexError, isCortexError } from "@cortex/core";
import type { DecisionKind, DecisionLog } from "./decision-log.js";
import { planDefrag } from "./defrag-plan.js";
import type { ModelPlacementProfile, SchedulerPolicy } from "../runtime/gateway-runtime.js";
import type { FleetSnapshot, NodeSnapshot, PlacementRequest } from "./fleet-snapshot.js";
import { pickLoadedNode } from "./pick-loaded-node.js";
import { planPlacement, type PlacementPlan } from "./placement.js";
import { toNodeSnapshot, type NodeReport } from "./to-node-snapshot.js";

/** What the scheduler does to the fleet; tests replace it with a recorder. */
export interface SchedulerEffects {
  /** Resolves once the model is loaded on the node (joins a load already running there). */
  load(node: string, model: string, signal: AbortSignal): Promise<void>;
  /** Resolves once it is unloaded; the neuron waits for the model's in-flight requests first. */
  unload(node: string, model: string, signal: AbortSignal): Promise<void>;
}

/** What the scheduler reads from the configuration in force, at the moment it decides. */
export interface SchedulerConfig {
  readonly scheduler: SchedulerPolicy;
  profileOf(modelId: string): ModelPlacementProfile;
}

export interface SchedulerOptions {
  effects: SchedulerEffects;
  reports: () => readonly NodeReport[];
  /** The current runtime: swapped whole on a reload, so nothing here is captured. */
  config: () => SchedulerConfig;
  decisions: DecisionLog;
  now: () => number;
  onError: (message: string, error: unknown) => void;
}

export interface Route {
  node: string;
  /** Milliseconds this request waited for a cold load (0 when the model was already loaded). */
  coldLoadMs: number;
  release(): void;
}

export interface RouteContext {
  requestId: string;
  cancel: Cancellation;
  /** Nodes that already failed this request (failover before the first byte). */
  exclude?: ReadonlySet<string>;
}

const MAX_PLACEMENT_ATTEMPTS = 3;
/** About a few poll intervals: long enough for a restarting neuron to answer again. */
const DOWN_NODE_RETRY_AFTER_S = 10;

/**
 * The only thing that changes where models live. Placement and eviction are pure policies over a fleet
 * snapshot; this class executes their plans one cold load per model at a time, records every decision
 * once with its reason, and counts requests in flight per node so routing picks the least busy copy.
 */
export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #inFlight = new Map<string, number>();
  readonly #coldLoads = new Map<string, { done: Promise<void>; waiters: number }>();
  readonly #draining = new Set<string>();
  readonly #pins = new Map<string, boolean>();
  #evictionCycles = 0;
  #defragRuns = 0;
  #baseSnapshots = new WeakMap<NodeReport, NodeSnapshot>();
  /** The configuration the cached node snapshots were built with. */
  #snapshotsFor: SchedulerConfig | undefined;
  #lastEvictingRequest: PlacementRequest | undefined;
  #defrag: Promise<number> | undefined;

  constructor(options: SchedulerOptions) {
    this.#options = options;
  }

  get evictionCycles(): number {
    return this.#evictionCycles;
  }

  /** Defrag passes started (every `defragAfterCycles` eviction cycles, or by `defragNow`). */
  get defragRuns(): number {
    return this.#defragRuns;
  }

  /** `onlyModel` keeps just that model's entries: what routing a request needs, at a fraction of the cost. */
  snapshot(exclude?: ReadonlySet<string>, onlyModel?: string): FleetSnapshot {
    const nodes = this.#options
      .reports()
      .filter((report) => !exclude?.has(report.name))
      .map((report) => {
        const node = this.#baseSnapshot(report);
        const models =
          onlyModel === undefined ? node.models : node.models.filter((model) => model.id === onlyModel);
        return {
          ...node,
          models: models.map((model) => {
            const key = slotKey(node.name, model.id);
            const local = this.#inFlight.get(key) ?? 0;
            return {
              ...model,
              // Our own count is fresher than the last poll; the node's includes other gateways.
              inFlight: Math.max(model.inFlight, local),
              state:
                this.#draining.has(key) && model.state === "loaded" ? ("unloading" as const) : model.state,
            };
          }),
        };
      });
    return { at: this.#options.now(), nodes };
  }

  /** Pins changed: node snapshots built with the old ones are stale. */
  #invalidatePolicies(): void {
    this.#baseSnapshots = new WeakMap();
  }

  /**
   * The registry hands out the same frozen report until a node changes, so the node snapshot is built
   * once per report (and per configuration and pin change) instead of on every request.
   */
  #baseSnapshot(report: NodeReport): NodeSnapshot {
    const config = this.#options.config();
    if (config !== this.#snapshotsFor) {
      this.#snapshotsFor = config;
      this.#invalidatePolicies();
    }
    let node = this.#baseSnapshots.get(report);
    if (!node) {
      node = toNodeSnapshot(report, (id) => this.#policy(id));
      this.#baseSnapshots.set(report, node);
    }
    return node;
  }

  async route(modelId: string, context: RouteContext): Promise<Route> {
    const profile = this.#profileOf(modelId);
    let coldLoadMs = 0;
    for (let attempt = 1; ; attempt++) {
      context.cancel.throwIfAborted();
      const snapshot = this.snapshot(context.exclude, modelId);
      const node = pickLoadedNode(snapshot, modelId, profile.allowedNodes, profile.preferredNodes);
      if (node) return this.#lease(node, modelId, coldLoadMs);
      this.#assertOffered(modelId, snapshot);
      const waitStarted = this.#options.now();
      try {
        await this.#awaitColdLoad(modelId, context);
      } catch (error) {
        const stale = isCortexError(error) && error.code === "insufficient_memory";
        // A refusal means our snapshot was stale (another gateway, a growing model): re-plan, briefly.
        if (!stale || attempt >= MAX_PLACEMENT_ATTEMPTS) throw error;
      } finally {
        coldLoadMs += this.#options.now() - waitStarted;
      }
    }
  }

  /** Explicit load (admin/CLI): on `node` when given, else wherever placement puts it. */
  async load(
    modelId: string,
    node: string | undefined,
    requestId: string,
    signal: AbortSignal,
  ): Promise<void> {
    const profile = this.#profileOf(modelId);
    this.#assertOffered(modelId, this.snapshot());
    const allowedNodes = node === undefined ? profile.allowedNodes : [node];
    await this.#place(modelId, requestId, undefined, {
      ...profile,
      ...(allowedNodes ? { allowedNodes } : {}),
    });
    signal.throwIfAborted();
  }

  async unload(
    modelId: string,
    node: string | undefined,
    requestId: string,
    signal: AbortSignal,
  ): Promise<string[]> {
    const hosts = this.snapshot()
      .nodes.filter(
        (n) =>
          (node === undefined || n.name === node) &&
          n.models.some((m) => m.id === modelId && m.state !== "unloaded" && m.state !== "failed"),
      )
      .map((n) => n.name);
    for (const host of hosts) {
      this.#record(
        "unload",
        modelId,
        host,
        requestId,
        `unloading ${modelId} on ${host} (requested by an operator)`,
      );
      await this.#options.effects.unload(host, modelId, signal);
    }
    return hosts;
  }

  setPinned(modelId: string, pinned: boolean, requestId: string): void {
    this.#pins.set(modelId, pinned);
    this.#invalidatePolicies();
    this.#record(
      pinned ? "pin" : "unpin",
      modelId,
      null,
      requestId,
      `${pinned ? "pinned" : "unpinned"} ${modelId}`,
    );
  }

  isPinned(modelId: string): boolean {
    return this.#pins.get(modelId) ?? this.#profileOf(modelId).pinned;
  }

  #profileOf(modelId: string): ModelPlacementProfile {
    return this.#options.config().profileOf(modelId);
  }

  #policyConfig(): SchedulerPolicy {
    return this.#options.config().scheduler;
  }

  #assertOffered(modelId: string, snapshot: FleetSnapshot): void {
    if (snapshot.nodes.some((n) => n.state !== "down" && n.models.some((m) => m.id === modelId))) return;
    const down = this.#options
      .reports()
      .filter((report) => report.state === "down" && report.offlineModels?.includes(modelId))
      .map((report) => report.name);
    if (down.length > 0) {
      throw new CortexError(
        "node_unavailable",
        `model ${modelId} is served only by ${down.join(", ")}, which ${down.length === 1 ? "is" : "are"} down`,
        { retryAfter: DOWN_NODE_RETRY_AFTER_S },
      );
    }
    throw new CortexError("model_not_found", `model ${modelId} is not served by any available node`, {
      param: "model",
    });
  }

  #policy(modelId: string): { pinned: boolean; priority: number; allowedNodes?: readonly string[] } {
    const profile = this.#profileOf(modelId);
    return {
      pinned: this.isPinned(modelId),
      priority: profile.priority,
      ...(profile.allowedNodes ? { allowedNodes: profile.allowedNodes } : {}),
    };
  }

  #lease(node: string, modelId: string, coldLoadMs: number): Route {
    const key = slotKey(node, modelId);
    this.#inFlight.set(key, (this.#inFlight.get(key) ?? 0) + 1);
    let released = false;
    return {
      node,
      coldLoadMs,
      release: () => {
        if (released) return;
        released = true;
        const left = (this.#inFlight.get(key) ?? 1) - 1;
        if (left > 0) this.#inFlight.set(key, left);
        else this.#inFlight.delete(key);
      },
    };
  }

  /** One cold load per model; everyone else waits for it (bounded queue, bounded wait). */
  async #awaitColdLoad(modelId: string, context: RouteContext): Promise<void> {
    let pending = this.#coldLoads.get(modelId);
    if (!pending) {
      const done = this.#place(modelId, context.requestId, context.exclude, this.#profileOf(modelId)).finally(
        () => this.#coldLoads.delete(modelId),
      );
      pending = { done, waiters: 0 };
      this.#coldLoads.set(modelId, pending);
    } else if (pending.waiters >= this.#policyConfig().queueLimit) {
      throw new CortexError(
        "queue_full",
        `${pending.waiters} requests are already waiting for ${modelId} to load`,
        { retryAfter: 5 },
      );
    }
    pending.waiters++;
    try {
      await boundedWait(pending.done, this.#policyConfig().loadTimeoutMs, context.cancel.signal, modelId);
    } finally {
      pending.waiters--;
    }
  }

  async #place(
    modelId: string,
    requestId: string,
    exclude: ReadonlySet<string> | undefined,
    profile: ModelPlacementProfile,
  ): Promise<void> {
    const { strategy, extraHeadroom, loadTimeoutMs } = this.#policyConfig();
    const request: PlacementRequest = {
      modelId,
      ...(profile.requiredMemory === undefined ? {} : { requiredMemory: profile.requiredMemory }),
      ...(profile.allowedNodes ? { allowedNodes: profile.allowedNodes } : {}),
      ...(profile.preferredNodes ? { preferredNodes: profile.preferredNodes } : {}),
      extraHeadroom,
    };
    const plan = planPlacement(this.snapshot(exclude), request, strategy);
    // Loads outlive the request that started them: others may be waiting for the same model.
    const signal = AbortSignal.timeout(loadTimeoutMs);
    try {
      await this.#execute(plan, request, requestId, signal);
    } catch (error) {
      // The load's own deadline and the waiters' are the same: one cause, one answer.
      if (signal.aborted) throw stillLoading(modelId, loadTimeoutMs);
      throw error;
    }
  }

  async #execute(
    plan: PlacementPlan,
    request: PlacementRequest,
    requestId: string,
    signal: AbortSignal,
  ): Promise<void> {
    const { effects } = this.#options;
    const { modelId } = request;
    switch (plan.kind) {
      case "no_fit":
        this.#record(
          "no_fit",
          modelId,
          null,
          requestId,
          `cannot place ${modelId} for request ${requestId}: ${plan.reason}`,
        );
        throw new CortexError("no_capacity", plan.reason, { retryAfter: 10 });
      case "wait":
        this.#record(
          "wait",
          modelId,
          plan.node,
          requestId,
          `waiting for ${modelId} on ${plan.node}: ${plan.reason}`,
        );
        await effects.load(plan.node, modelId, signal);
        return;
      case "load":
        for (const eviction of plan.evict) {
          this.#record(
            "evict",
            eviction.modelId,
            eviction.node,
            requestId,
            `evicted ${eviction.modelId} on ${eviction.node} to load ${modelId} for request ${requestId} (${eviction.reason})`,
          );
          await effects.unload(eviction.node, eviction.modelId, signal);
        }
        this.#record(
          "load",
          modelId,
          plan.node,
          requestId,
          `loading ${modelId} on ${plan.node} for request ${requestId}: ${plan.reason}`,
        );
        await effects.load(plan.node, modelId, signal);
        if (plan.evict.length > 0) this.#countEvictionCycle(request);
        return;
      default:
        plan satisfies never;
    }
  }

  #countEvictionCycle(request: PlacementRequest): void {
    this.#evictionCycles++;
    this.#lastEvictingRequest = request;
    const every = this.#policyConfig().defragAfterCycles;
    if (every > 0 && this.#evictionCycles % every === 0 && !this.#defrag) {
      this.#defrag = this.defragNow().finally(() => {
        this.#defrag = undefined;
      });
    }
  }

  /**
   * Re-pack: move small cold models so the last model that needed evictions would fit without any.
   * Each move is load-new → switch (routing stops picking the old copy) → unload-old (which waits for
   * the old copy's in-flight requests), so no request is dropped.
   */
  async defragNow(): Promise<number> {
    this.#defragRuns++;
    const { strategy, extraHeadroom, loadTimeoutMs } = this.#policyConfig();
    const moves = planDefrag(this.snapshot(), strategy, this.#lastEvictingRequest, extraHeadroom);
    let moved = 0;
    for (const move of moves) {
      const key = slotKey(move.from, move.modelId);
      const signal = AbortSignal.timeout(loadTimeoutMs);
      this.#record(
        "defrag",
        move.modelId,
        move.to,
        null,
        `defrag: moving ${move.modelId} from ${move.from} to ${move.to} (${move.reason})`,
      );
      try {
        await this.#options.effects.load(move.to, move.modelId, signal);
        this.#draining.add(key);
        await this.#options.effects.unload(move.from, move.modelId, signal);
        moved++;
      } catch (error) {
        this.#options.onError(`defrag move of ${move.modelId} from ${move.from} to ${move.to} failed`, error);
      } finally {
        this.#draining.delete(key);
      }
    }
    return moved;
  }

  localInFlight(): { node: string; model: string; count: number }[] {
    return [...this.#inFlight].map(([key, count]) => {
      const [node = "", model = ""] = key.split("\u0000");
      return { node, model, count };
    });
  }

  #record(
    kind: DecisionKind,
    model: string,
    node: string | null,
    requestId: string | null,
    message: string,
  ): void {
    this.#options.decisions.record({ at: this.#options.now(), kind, model, node, requestId, message });
  }
}

function slotKey(node: string, model: string): string {
  return `${node}\u0000${model}`;
}

function boundedWait(
  done: Promise<void>,
  timeoutMs: number,
  signal: AbortSignal,
  modelId: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(stillLoading(modelId, timeoutMs)), timeoutMs);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    done.then(
      () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function stillLoading(modelId: string, timeoutMs: number): CortexError {
  return new CortexError(
    "no_capacity",
    `${modelId} is still loading after ${Math.round(timeoutMs / 1000)} s`,
    {
      retryAfter: 10,
    },
  );
}
