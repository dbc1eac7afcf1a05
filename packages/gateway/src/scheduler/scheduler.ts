import type { FleetSnapshot } from "../routing/fleet-snapshot.js";
import type { NodeReport } from "../routing/to-node-snapshot.js";
import { ColdLoads, type SchedulerEffects } from "./cold-loads.js";
import { SwapWatch, type Decide, type DecisionLog } from "./decision-log.js";
import { Defrag } from "./defrag.js";
import { FleetOperations, ReportedPins } from "./fleet-operations.js";
import { Router, type Route, type RouteContext, type SchedulerConfig } from "./router.js";
import { Upkeep } from "./upkeep.js";

export type { SchedulerEffects } from "./cold-loads.js";
export type { Route, RouteContext, SchedulerConfig } from "./router.js";

export interface SchedulerOptions {
  effects: SchedulerEffects;
  /**
   * The nodes' reports (the registry's frozen snapshot): a new array whenever one changes, never
   * the same array changed in place (routing keeps what it derived from an array until it is replaced).
   */
  reports: () => readonly NodeReport[];
  /** The current runtime: swapped whole on a reload, so nothing here is captured. */
  config: () => SchedulerConfig;
  decisions: DecisionLog;
  now: () => number;
  onError: (message: string, error: unknown) => void;
}

/**
 * The only thing that changes where models live, as the gateway sees it: routing and leases (Router),
 * cold-load coalescing and placement execution (ColdLoads), operator actions and pins
 * (FleetOperations), re-packing (Defrag), each decision recorded once in the DecisionLog. The policies
 * they execute are pure functions of a fleet snapshot (`routing/`).
 */
export class Scheduler {
  readonly #router: Router;
  readonly #coldLoads: ColdLoads;
  readonly #operations: FleetOperations;
  readonly #defrag: Defrag;
  readonly #upkeep: Upkeep;

  constructor(options: SchedulerOptions) {
    const { effects, decisions, now } = options;
    const swaps = new SwapWatch();
    const decide: Decide = (kind, model, node, requestId, message) => {
      const at = now();
      decisions.record({ at, kind, model, node, requestId, message });
      const thrash = swaps.note(kind, model, node, at);
      if (thrash !== null) decisions.record({ at, kind: "thrash", model, node, requestId, message: thrash });
    };
    const pins = new ReportedPins(options.reports);
    this.#router = new Router({
      reports: options.reports,
      config: options.config,
      pins,
      coldLoads: () => this.#coldLoads,
      decide,
      now,
    });
    this.#defrag = new Defrag({
      effects,
      snapshot: () => this.#router.snapshot(),
      drain: (node, modelId) => this.#router.drain(node, modelId),
      config: options.config,
      decide,
      onError: options.onError,
    });
    this.#coldLoads = new ColdLoads({
      effects,
      snapshot: (exclude) => this.#router.snapshot(exclude),
      config: options.config,
      decide,
      onEvictionCycle: (request) => this.#defrag.evictionCycle(request),
      drain: (node, modelId) => this.#router.drain(node, modelId),
      loading: (node, modelId, bytes) => this.#router.loading(node, modelId, bytes),
    });
    this.#upkeep = new Upkeep({
      effects,
      router: this.#router,
      config: options.config,
      loadOn: (modelId, node, signal) =>
        this.#coldLoads.ensure(modelId, { requestId: "upkeep", cancel: { signal }, node }),
      coldLoading: () => this.#coldLoads.loadingModels(),
      decide,
      now,
      onError: options.onError,
    });
    this.#operations = new FleetOperations({
      router: this.#router,
      coldLoads: this.#coldLoads,
      effects,
      decide,
    });
  }

  route(modelId: string, context: RouteContext): Promise<Route> {
    return this.#router.route(modelId, context);
  }

  snapshot(exclude?: ReadonlySet<string>, onlyModel?: string): FleetSnapshot {
    return this.#router.snapshot(exclude, onlyModel);
  }

  localInFlight(): { node: string; model: string; count: number }[] {
    return this.#router.localInFlight();
  }

  /** Requests this gateway holds back: waiting for a free sequence or for their model's cold load. */
  get loadWaiters(): number {
    return this.#router.waitingTotal();
  }

  isPinned(modelId: string): boolean {
    return this.#router.isPinned(modelId);
  }

  load(modelId: string, node: string | undefined, requestId: string, signal: AbortSignal): Promise<void> {
    return this.#operations.load(modelId, node, requestId, signal);
  }

  unload(
    modelId: string,
    node: string | undefined,
    requestId: string,
    signal: AbortSignal,
  ): Promise<string[]> {
    return this.#operations.unload(modelId, node, requestId, signal);
  }

  setPinned(modelId: string, pinned: boolean, requestId: string, signal: AbortSignal): Promise<string[]> {
    return this.#operations.setPinned(modelId, pinned, requestId, signal);
  }

  /**
   * One upkeep pass (every poll interval): queued requests served where sequences freed, idle TTL,
   * replicas. Returns what it started.
   */
  upkeep(): ReturnType<Upkeep["tick"]> {
    return this.#upkeep.tick();
  }

  /** Resolves once the upkeep actions started so far are over. */
  upkeepSettled(): Promise<void> {
    return this.#upkeep.settled();
  }

  get replicaLoads(): number {
    return this.#upkeep.replicaLoads;
  }

  /** This gateway's queue of one model: how many wait, by class, and the oldest wait. */
  queueStats(modelId: string): ReturnType<Router["queueStats"]> {
    return this.#router.queueStats(modelId);
  }

  defragNow(): Promise<number> {
    return this.#defrag.run();
  }

  get evictionCycles(): number {
    return this.#defrag.evictionCycles;
  }

  get defragRuns(): number {
    return this.#defrag.runs;
  }
}
