import { CortexError, isCortexError } from "@cortex/core";
import type { Cancellation } from "../cancellation.js";
import type { FleetSnapshot, NodeSnapshot } from "../routing/fleet-snapshot.js";
import { pickLoadedNode } from "../routing/pick-loaded-node.js";
import { toNodeSnapshot, type ModelPolicy, type NodeReport } from "../routing/to-node-snapshot.js";
import type { ModelPlacementProfile, SchedulerPolicy } from "../runtime/gateway-runtime.js";

/** What the scheduler reads from the configuration in force, at the moment it decides. */
export interface SchedulerConfig {
  readonly scheduler: SchedulerPolicy;
  profileOf(modelId: string): ModelPlacementProfile;
}

/** Runtime pins (`cortex pin`): `undefined` where none was set, so models.toml decides. */
export interface PinView {
  /** Changes whenever a pin does, so snapshots built with the old pins are rebuilt. */
  readonly version: number;
  pinned(modelId: string): boolean | undefined;
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

/** How the router gets a model loaded when no node has it: the cold-load queue. */
export interface LoadWaiter {
  ensure(modelId: string, context: RouteContext): Promise<void>;
}

export interface RouterOptions {
  reports: () => readonly NodeReport[];
  config: () => SchedulerConfig;
  pins: PinView;
  coldLoads: () => LoadWaiter;
  now: () => number;
}

/** A refused load means our snapshot was stale: re-plan, but only briefly. */
const MAX_PLACEMENT_ATTEMPTS = 3;
/** About a few poll intervals: long enough for a restarting neuron to answer again. */
const DOWN_NODE_RETRY_AFTER_S = 10;

/**
 * Routing and leases: picks the least busy node with the model loaded (or has one loaded through the
 * cold-load queue) and counts the requests this gateway has in flight per node, so the next pick sees
 * them before the next poll does. The only owner of routing state: in-flight leases, copies being
 * drained (defrag), and the fleet snapshot the policies read.
 */
export class Router {
  readonly #options: RouterOptions;
  readonly #inFlight = new Map<string, number>();
  readonly #draining = new Set<string>();
  #baseSnapshots = new WeakMap<NodeReport, NodeSnapshot>();
  /** What the cached node snapshots were built with: a reload or a pin change makes them stale. */
  #snapshotsFor: { config: SchedulerConfig; pins: number } | undefined;

  constructor(options: RouterOptions) {
    this.#options = options;
  }

  async route(modelId: string, context: RouteContext): Promise<Route> {
    const profile = this.#options.config().profileOf(modelId);
    let coldLoadMs = 0;
    for (let attempt = 1; ; attempt++) {
      context.cancel.throwIfAborted();
      const snapshot = this.snapshot(context.exclude, modelId);
      const node = pickLoadedNode(snapshot, modelId, profile.allowedNodes, profile.preferredNodes);
      if (node) return this.#lease(node, modelId, coldLoadMs);
      this.assertOffered(modelId, snapshot);
      const waitStarted = this.#options.now();
      try {
        await this.#options.coldLoads().ensure(modelId, context);
      } catch (error) {
        const stale = isCortexError(error) && error.code === "insufficient_memory";
        if (!stale || attempt >= MAX_PLACEMENT_ATTEMPTS) throw error;
      } finally {
        coldLoadMs += this.#options.now() - waitStarted;
      }
    }
  }

  /**
   * The fleet as the policies see it: every node's report joined with the profiles and pins in force,
   * with this gateway's own in-flight counts and draining copies. `onlyModel` keeps just that model's
   * entries: what routing a request needs, at a fraction of the cost.
   */
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

  /** Stops routing to one copy of a model (defrag moving it away); the returned function undoes it. */
  drain(node: string, modelId: string): () => void {
    const key = slotKey(node, modelId);
    this.#draining.add(key);
    return () => this.#draining.delete(key);
  }

  isPinned(modelId: string): boolean {
    return this.#options.pins.pinned(modelId) ?? this.#options.config().profileOf(modelId).pinned;
  }

  /** Throws unless a live node offers the model: 503 when only a down node did, else 404. */
  assertOffered(modelId: string, snapshot: FleetSnapshot = this.snapshot()): void {
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

  localInFlight(): { node: string; model: string; count: number }[] {
    return [...this.#inFlight].map(([key, count]) => {
      const [node = "", model = ""] = key.split("\u0000");
      return { node, model, count };
    });
  }

  /**
   * The registry hands out the same frozen report until a node changes, so the node snapshot is built
   * once per report (and per configuration and pin change) instead of on every request.
   */
  #baseSnapshot(report: NodeReport): NodeSnapshot {
    const config = this.#options.config();
    const pins = this.#options.pins.version;
    if (config !== this.#snapshotsFor?.config || pins !== this.#snapshotsFor.pins) {
      this.#snapshotsFor = { config, pins };
      this.#baseSnapshots = new WeakMap();
    }
    let node = this.#baseSnapshots.get(report);
    if (!node) {
      node = toNodeSnapshot(report, (id) => this.#policy(id));
      this.#baseSnapshots.set(report, node);
    }
    return node;
  }

  #policy(modelId: string): ModelPolicy {
    const profile = this.#options.config().profileOf(modelId);
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
}

function slotKey(node: string, model: string): string {
  return `${node}\u0000${model}`;
}
