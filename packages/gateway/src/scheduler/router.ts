import { CortexError, DEFAULT_PRIORITY_CLASS, isCortexError, type PriorityClass } from "@cortex/core";
import { Cancellation } from "../cancellation.js";
import type { FleetSnapshot, NodeSnapshot } from "../routing/fleet-snapshot.js";
import type { SwapPlan } from "../routing/placement.js";
import {
  RoutedPrefixes,
  routeCandidate,
  type CandidateOptions,
  type RequestPrefix,
  type RoutableCopy,
} from "../routing/route-candidates.js";
import {
  JUMP_MIN_REUSE_TOKENS,
  chooseRoute,
  describeMove,
  routeReason,
  type RouteCandidate,
  type RouteChoice,
  type RouteReason,
} from "../routing/route-score.js";
import { toNodeSnapshot, type ModelPolicy, type NodeReport } from "../routing/to-node-snapshot.js";
import type { ModelPlacementProfile, SchedulerPolicy } from "../runtime/gateway-runtime.js";
import { SwapPending } from "./cold-loads.js";
import type { Decide } from "./decision-log.js";
import { WaitingRoom, type WaitingStats, type Waiter } from "./waiting-room.js";

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
  /** Why this node (prefix held, moved off a loaded holder, …): metrics and `x-cortex-route`. */
  reason: RouteReason;
  /**
   * Sent to a node with no free sequence because it is short there (it jumps the node's queue): if the
   * node refuses to queue it (`queue_full`), it waits in the gateway instead (`RouteContext.mayJump`).
   */
  jumped?: true;
  release(): void;
}

export interface RouteContext {
  requestId: string;
  cancel: Cancellation;
  /** Nodes that already failed this request (failover before the first byte). */
  exclude?: ReadonlySet<string>;
  /** Its priority class (the API key's, or `x-cortex-priority` where allowed); default normal. */
  priority?: PriorityClass;
  /** Who it is from (the API key's name): queues are fair between flows within a class. */
  flow?: string;
  /** Its prompt identity, computed only when routing needs it (several nodes hold the model). */
  prefix?: () => RequestPrefix | null;
  /** False once a node refused to queue it after a jump: it goes only where a sequence is free. */
  mayJump?: boolean;
}

/** How the router gets a model loaded when no node has it: the cold-load queue. */
export interface LoadWaiter {
  ensure(
    modelId: string,
    context: {
      requestId: string;
      cancel: { readonly signal: AbortSignal };
      exclude?: ReadonlySet<string>;
      mayWaitForSwap?: boolean;
    },
  ): Promise<void>;
}

export interface RouterOptions {
  /** A new array whenever a report changes (`SchedulerOptions.reports`): `#copies` is kept per array. */
  reports: () => readonly NodeReport[];
  config: () => SchedulerConfig;
  pins: PinView;
  coldLoads: () => LoadWaiter;
  decide: Decide;
  now: () => number;
  /** Tests and the `random` policy's baseline seed it. */
  random?: () => number;
}

/** A model whose requests wait for busy models on a node to be served before it can be swapped in. */
interface SwapWait {
  /** When its requests started waiting for a swap (ms): its quantum runs from here. */
  readonly since: number;
  /** The request that first had to wait (the decision names it). */
  readonly requestId: string;
  /** The latest plan: the node, and the busy models there it waits for. */
  plan: SwapPlan;
  /** Its quantum is over: the copies it waits for get no new requests until the swap. */
  yielded: boolean;
}

/** Why a waiter's `over` ends: its wait is over (served or failed), not an error anyone sees. */
const WAIT_OVER = new Error("the wait for a sequence is over");
/** A refused load means our snapshot was stale: re-plan, but only briefly. */
const MAX_PLACEMENT_ATTEMPTS = 3;
/** How long a request holds a sequence before the router has seen one finish (ms). */
const DEFAULT_SERVICE_MS = 5000;
/** Prompt evaluation speed assumed until a node reports its own (ms per token). */
const DEFAULT_PREFILL_MS_PER_TOKEN = 0.25;
/** Weight of the newest service time in the running estimate. */
const SERVICE_EWMA = 0.2;
/** How many poll intervals a remembered route counts before the node's own report must show it. */
const ROUTED_MEMORY_POLLS = 3;
/** How many poll intervals of lease history are kept to match reports against. */
const LEASE_EVENT_POLLS = 10;
const MAX_LEASE_EVENTS = 4096;
const LEASE_TRIM_CHUNK = 256;
/** About a few poll intervals: long enough for a restarting neuron to answer again. */
const DOWN_NODE_RETRY_AFTER_S = 10;

/**
 * Routing and leases: picks the node for each request by the routing policy (prefix and load, see
 * routing/route-score.ts), holds requests beyond the free sequences in a fair priority queue per model
 * (serving them as sequences free up), has a model loaded through the cold-load queue when no node has
 * it, and counts the requests this gateway has in flight per node so the next pick sees them before the
 * next poll does. The only owner of routing state: in-flight leases, the waiting room, the routes
 * remembered for prefixes, copies being drained (defrag), the per-model view of the copies routing
 * reads, and the fleet snapshot placement reads.
 */
export class Router {
  readonly #options: RouterOptions;
  readonly #inFlight = new Map<string, number>();
  /** Copies routing must not pick (defrag moving them, evictions unloading them), with a count per cause. */
  readonly #draining = new Map<string, number>();
  readonly #waiting = new WaitingRoom();
  /** Models whose waiters wait for busy models to be served before theirs can be swapped in. */
  readonly #swapWaits = new Map<string, SwapWait>();
  /**
   * Copies (slot keys) that take no new requests: a model waiting for their swap has had its quantum
   * (time-slicing). Their requests in flight finish; requests for them wait in the gateway meanwhile.
   */
  #yielding: ReadonlySet<string> = new Set();
  readonly #routed = new RoutedPrefixes();
  /** Per model: milliseconds a request holds a sequence (running estimate). */
  readonly #serviceMs = new Map<string, number>();
  /** Models requests or operators used since start (`min` replicas apply to them). */
  readonly #used = new Set<string>();
  /** This gateway's in-flight count per slot when a node's report arrived: the rest are others'. */
  readonly #ownAtReport = new WeakMap<NodeReport, ReadonlyMap<string, number>>();
  /** Per slot: when this gateway's recent leases started and ended, to tell which a report counted. */
  readonly #leaseEvents = new Map<string, { starts: number[]; ends: number[] }>();
  /**
   * Loads this gateway has sent and not seen finish, with the bytes each will take: until the node's
   * report shows them, the snapshot counts them, or a second placement would plan into the same memory.
   */
  readonly #loading = new Map<string, { holders: number; bytes: number }>();
  #baseSnapshots = new WeakMap<NodeReport, NodeSnapshot>();
  /** Per model: the copies routing may use, for the reports and configuration in `#copiesFor`. */
  readonly #copiesOf = new Map<string, readonly Copy[]>();
  #copiesFor: { reports: readonly NodeReport[]; config: SchedulerConfig } | undefined;
  /** What the cached node snapshots were built with: a reload or a pin change makes them stale. */
  #snapshotsFor: { config: SchedulerConfig; pins: number } | undefined;

  constructor(options: RouterOptions) {
    this.#options = options;
  }

  async route(modelId: string, context: RouteContext): Promise<Route> {
    context.cancel.throwIfAborted();
    this.#used.add(modelId);
    const started = this.#options.now();
    // The requests of a model kept busy are what notices another model's quantum running out.
    this.#checkQuanta();
    const queued = this.#waiting.size(modelId) > 0;
    const mayJump = context.mayJump !== false;
    // With requests waiting, only a short one may go at once: it jumps the queue of the node holding
    // its prefix (the node serves it ahead of long prompts; docs/decisions.md "short turns first"),
    // never ahead of a higher priority class.
    if (
      !queued ||
      (mayJump &&
        this.#options.config().scheduler.routing === "prefix" &&
        !this.#waiting.higherWaiting(modelId, context.priority ?? DEFAULT_PRIORITY_CLASS) &&
        this.#jumpPossible(modelId, context.exclude))
    ) {
      const choice = this.#choose(modelId, context.exclude, context.prefix, undefined);
      if (choice?.dispatch && choice.node !== null && (jumps(choice) ? mayJump : !queued)) {
        return this.#dispatch(modelId, choice, context.requestId, context.prefix, 0);
      }
      if (choice === null && !queued) this.assertOffered(modelId, this.snapshot(context.exclude, modelId));
    }
    return this.#wait(modelId, context, started);
  }

  /**
   * Serves the waiting requests of `modelId` that can go now, in queue order (class, then fair between
   * keys): each goes where the policy sends it if that node has a free sequence, else stays (and counts
   * as queued for that node for the ones behind it). A waiter whose model is loaded nowhere it may go
   * gets a cold load started for it.
   */
  pump(modelId: string, unblocked = false): void {
    if (this.#waiting.size(modelId) === 0) return;
    let free = this.#hasFree(modelId);
    const loaded = this.#loadedFor(modelId, undefined);
    // Nobody can go now, and every waiter may use a loaded copy (none excludes a node it failed on), so
    // none needs a cold load either: nothing to do, without even copying the queue.
    if (!free && loaded && this.#waiting.excluding(modelId) === 0) return;
    const entries = this.#waiting.entries(modelId);
    let ahead: Map<string, number> | undefined;
    // The class of the first waiter left waiting for a sequence: one of a lower class behind it may go
    // where a sequence is free, but not jump a full node's queue ahead of it (as at arrival). Nor may
    // a waiter a node refused to queue after a jump.
    let waitingClass: PriorityClass | undefined;
    for (const entry of entries) {
      const waiter = entry.item;
      if (!free) {
        // No copy has a free sequence, so nobody behind can be sent either: scoring each of them (all of
        // them on every release, with dozens waiting) was most of the gateway's CPU under load. Only a
        // waiter that may use none of the loaded copies still needs its cold load started.
        if (loaded && this.#waiting.excluding(modelId) === 0) return;
        if (!this.#loadedFor(modelId, waiter.exclude)) this.#needsLoad(waiter, entry, unblocked);
        continue;
      }
      const choice = this.#choose(modelId, waiter.exclude, () => waiter.prefix(), ahead);
      if (choice === null) {
        this.#needsLoad(waiter, entry, unblocked);
        continue;
      }
      const barred =
        jumps(choice) && (!waiter.mayJump || (waitingClass !== undefined && waitingClass !== entry.priority));
      if (choice.dispatch && choice.node !== null && !barred) {
        this.#waiting.serve(entry);
        // Served while its load call is still returning (a poll showed the model first): the wait ends now.
        this.#stopLoadClock(waiter);
        const lease = this.#dispatchLease(modelId, choice, waiter.requestId, () => waiter.prefix());
        waiter.settle(lease);
        // The lease is counted: the next waiter sees the sequence taken.
        free = this.#hasFree(modelId);
        continue;
      }
      waitingClass ??= entry.priority;
      if (choice.node !== null) {
        ahead ??= new Map();
        ahead.set(choice.node, (ahead.get(choice.node) ?? 0) + 1);
      }
    }
  }

  /** Every model anyone waits for: after a poll, sequences may have freed on other gateways' behalf. */
  pumpAll(): void {
    this.#pruneLeaseEvents();
    // At the latest here (each poll): a quantum over, or a swap nobody waits for any more.
    this.#checkQuanta();
    for (const modelId of this.#waiting.models()) this.pump(modelId);
  }

  /** This gateway's queue of one model (upkeep adds replicas from it; status views show it). */
  queueStats(modelId: string): WaitingStats | undefined {
    return this.#waiting.stats(modelId, this.#options.now());
  }

  /** Requests waiting in this gateway's queues, over every model. */
  waitingTotal(): number {
    let total = 0;
    for (const modelId of this.#waiting.models()) total += this.#waiting.size(modelId);
    return total;
  }

  queuedModels(): string[] {
    return this.#waiting.models();
  }

  /** Models used since start (by requests or operator loads). */
  get used(): ReadonlySet<string> {
    return this.#used;
  }

  noteUsed(modelId: string): void {
    this.#used.add(modelId);
  }

  /**
   * The fleet as the policies see it: every node's report joined with the profiles and pins in force,
   * with this gateway's own in-flight counts, its queue, copies draining and surplus replicas marked.
   * `onlyModel` keeps just that model's entries: what routing a request needs, at a fraction of the cost.
   */
  snapshot(exclude?: ReadonlySet<string>, onlyModel?: string): FleetSnapshot {
    const reports = this.#options.reports();
    // Loaded copies per model (surplus replicas): only the one model's when that is all the caller reads.
    const copies = new Map<string, number>();
    for (const report of reports) {
      if (report.state === "down") continue;
      for (const model of report.models) {
        if (model.state !== "loaded" || (onlyModel !== undefined && model.id !== onlyModel)) continue;
        copies.set(model.id, (copies.get(model.id) ?? 0) + 1);
      }
    }
    const config = this.#options.config();
    const nodes = reports
      .filter((report) => !exclude?.has(report.name))
      .map((report) => {
        const node = this.#withOwnLoads(this.#baseSnapshot(report));
        const models =
          onlyModel === undefined ? node.models : node.models.filter((model) => model.id === onlyModel);
        return {
          ...node,
          models: models.map((model) => {
            const key = slotKey(node.name, model.id);
            // Its gateway queue waits for the swap back, not for this copy: it must not keep it busy.
            const yielding = this.#yielding.size > 0 && this.#yielding.has(key);
            const surplus =
              model.state === "loaded" &&
              (copies.get(model.id) ?? 0) > config.profileOf(model.id).replicas.min;
            return {
              ...model,
              inFlight: this.#inFlightOn(report, key, model.inFlight),
              waiting: yielding ? 0 : this.#waiting.size(model.id),
              surplus,
              state:
                this.#draining.has(key) && model.state === "loaded" ? ("unloading" as const) : model.state,
            };
          }),
        };
      });
    return { at: this.#options.now(), nodes };
  }

  /**
   * Stops routing to one copy of a model (defrag moving it away, an eviction unloading it): a request
   * sent to it now would wait for the unload on the node and then load it again. The returned function
   * undoes it.
   */
  drain(node: string, modelId: string): () => void {
    const key = slotKey(node, modelId);
    this.#draining.set(key, (this.#draining.get(key) ?? 0) + 1);
    this.#copiesOf.delete(modelId);
    return once(() => {
      const left = (this.#draining.get(key) ?? 1) - 1;
      if (left > 0) this.#draining.set(key, left);
      else this.#draining.delete(key);
      this.#copiesOf.delete(modelId);
      // Requests queued for the model may go to this copy again.
      this.pump(modelId);
    });
  }

  /**
   * A load this gateway is about to send (evictions first): its memory counts as taken on the node until
   * its report says so itself. The returned function ends it (once the load has answered).
   */
  loading(node: string, modelId: string, bytes: number): () => void {
    const key = slotKey(node, modelId);
    const entry = this.#loading.get(key);
    if (entry) entry.holders++;
    else this.#loading.set(key, { holders: 1, bytes });
    return once(() => {
      const current = this.#loading.get(key);
      if (current && --current.holders === 0) this.#loading.delete(key);
    });
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
   * The copies of `modelId` routing may send requests to as the reports in force show them (loaded,
   * allowed, node not down, not draining), built once per model per change of the reports, the
   * configuration or the drains instead of a fleet snapshot per request. What changes per request (this
   * gateway's leases, yields, exclusions) is read live: see `#inFlightOf`, `#usable`.
   */
  #copies(modelId: string): readonly Copy[] {
    const reports = this.#options.reports();
    const config = this.#options.config();
    if (reports !== this.#copiesFor?.reports || config !== this.#copiesFor.config) {
      this.#copiesFor = { reports, config };
      this.#copiesOf.clear();
    }
    let copies = this.#copiesOf.get(modelId);
    if (copies === undefined) {
      const profile = config.profileOf(modelId);
      const built: Copy[] = [];
      for (const report of reports) {
        // Every report, also one this model is not on: its first sight fixes this gateway's share.
        const node = this.#baseSnapshot(report);
        if (node.state === "down") continue;
        if (profile.allowedNodes !== undefined && !profile.allowedNodes.includes(node.name)) continue;
        const key = slotKey(node.name, modelId);
        if (this.#draining.has(key)) continue;
        const entry = node.models.find((m) => m.id === modelId && m.state === "loaded" && m.allowed);
        if (entry === undefined) continue;
        const preferred = profile.preferredNodes?.includes(node.name) ?? false;
        let longestHeld = 0;
        for (const held of entry.prefixes?.values() ?? []) longestHeld = Math.max(longestHeld, held.tokens);
        built.push({ node: node.name, health: node.state, entry, preferred, key, report, longestHeld });
      }
      copies = built;
      // Only models loaded somewhere are kept (requests name models nobody has, too).
      if (copies.length > 0) this.#copiesOf.set(modelId, copies);
    }
    return copies;
  }

  /** Requests holding the copy's sequences now: this gateway's, live, and the other gateways' it reported. */
  #inFlightOf(copy: Copy): number {
    return this.#inFlightOn(copy.report, copy.key, copy.entry.inFlight);
  }

  /**
   * A slot's requests in flight: this gateway's own now, plus the rest of what the node reported (its
   * count includes ours as they were when it reported; the rest are other gateways').
   */
  #inFlightOn(report: NodeReport, key: string, reported: number): number {
    const local = this.#inFlight.get(key) ?? 0;
    const { lastSeen: seen, polledAt } = report as { lastSeen?: number | null; polledAt?: number };
    // The report's counts were taken somewhere between the poll's sending and its arrival.
    const from =
      typeof polledAt === "number" && typeof seen === "number" && polledAt <= seen ? polledAt : seen;
    const ours =
      typeof seen === "number" && typeof from === "number"
        ? this.#ownAt(key, from, seen, local)
        : (this.#ownAtReport.get(report)?.get(key) ?? 0);
    return local + Math.max(0, reported - ours);
  }

  /** Whether routing may send this request to the copy: not excluded, not yielding. */
  #usable(copy: Copy, modelId: string, exclude: ReadonlySet<string> | undefined): boolean {
    return !exclude?.has(copy.node) && this.#takesRequests(copy.node, modelId);
  }

  /** Whether some copy of `modelId` routing may use has a sequence free: else nobody can be sent now. */
  #hasFree(modelId: string): boolean {
    for (const copy of this.#copies(modelId)) {
      if (!this.#usable(copy, modelId, undefined)) continue;
      const slots = copy.entry.slots ?? Number.POSITIVE_INFINITY;
      if (this.#inFlightOf(copy) < slots) return true;
    }
    return false;
  }

  /**
   * Whether some request could jump the queue of a full copy of `modelId`: a copy it may use has room
   * for one more (below two per sequence) and holds, or was sent, a conversation long enough. Without
   * one, a queued request's prompt identity (parsing and hashing its body) is not worth computing.
   */
  #jumpPossible(modelId: string, exclude: ReadonlySet<string> | undefined): boolean {
    for (const copy of this.#copies(modelId)) {
      if (!this.#usable(copy, modelId, exclude)) continue;
      const slots = copy.entry.slots ?? Number.POSITIVE_INFINITY;
      if (!Number.isFinite(slots) || this.#inFlightOf(copy) >= 2 * slots) continue;
      if (copy.longestHeld >= JUMP_MIN_REUSE_TOKENS || this.#routed.sentAny(modelId, copy.node)) return true;
    }
    return false;
  }

  /** Whether `modelId` is loaded and routable on a node the request may use. */
  #loadedFor(modelId: string, exclude: ReadonlySet<string> | undefined): boolean {
    for (const copy of this.#copies(modelId)) if (this.#usable(copy, modelId, exclude)) return true;
    return false;
  }

  /**
   * The copies one request may go to, as routing scores them (tests hold them against a snapshot's).
   * The prompt identity is asked for only when `prefix` is given.
   */
  candidates(
    modelId: string,
    exclude?: ReadonlySet<string>,
    prefix: RequestPrefix | null = null,
    ahead?: ReadonlyMap<string, number>,
  ): RouteCandidate[] {
    const policy = this.#options.config().scheduler;
    const options: CandidateOptions = {
      modelId,
      prefix,
      ...(prefix === null
        ? {}
        : {
            routed: {
              memory: this.#routed,
              now: this.#options.now(),
              ttlMs: ROUTED_MEMORY_POLLS * policy.upkeepIntervalMs,
            },
          }),
      ...(ahead ? { waitingAhead: ahead } : {}),
    };
    const candidates: RouteCandidate[] = [];
    for (const copy of this.#copies(modelId)) {
      if (this.#usable(copy, modelId, exclude)) {
        candidates.push(routeCandidate(copy, this.#inFlightOf(copy), options));
      }
    }
    return candidates;
  }

  /**
   * The policy's choice for one request, or null when no node it may use has the model loaded. With
   * one copy there is nothing to choose: no prompt identity, no prefix scoring. The prompt identity is
   * computed only when it can matter: several candidates, prefix policy.
   */
  #choose(
    modelId: string,
    exclude: ReadonlySet<string> | undefined,
    prefix: (() => RequestPrefix | null) | undefined,
    ahead: ReadonlyMap<string, number> | undefined,
  ): RouteChoice | null {
    let usable = 0;
    for (const copy of this.#copies(modelId)) if (this.#usable(copy, modelId, exclude)) usable++;
    if (usable === 0) return null;
    const policy = this.#options.config().scheduler;
    // One copy leaves nothing to choose, unless it is full: a short request may still go (it jumps
    // the node's queue), which takes its prefix to tell, when the node could take it.
    const wantsPrefix =
      policy.routing === "prefix" &&
      prefix !== undefined &&
      (usable > 1 || (!this.#hasFree(modelId) && this.#jumpPossible(modelId, exclude)));
    const candidates = this.candidates(modelId, exclude, wantsPrefix ? prefix() : null, ahead);
    const costs = {
      serviceMs: this.#serviceMs.get(modelId) ?? DEFAULT_SERVICE_MS,
      prefillMsPerToken: DEFAULT_PREFILL_MS_PER_TOKEN,
    };
    return chooseRoute(policy.routing, candidates, costs, this.#options.random);
  }

  async #wait(modelId: string, context: RouteContext, started: number): Promise<Route> {
    const { scheduler } = this.#options.config();
    const priority = context.priority ?? DEFAULT_PRIORITY_CLASS;
    let computed: { value: RequestPrefix | null } | undefined;
    const prefix = context.prefix;
    // Ended once the wait is over, so a cold load started for it stops counting it as a waiter. A
    // Cancellation, not an AbortController: every queued request ends its wait, and an AbortController's
    // abort (a DOMException, an EventTarget dispatch) cost ~60 µs of it under load.
    const over = new Cancellation();
    let settle!: Waiter["settle"];
    const outcome = new Promise<Parameters<Waiter["settle"]>[0]>((resolve) => {
      settle = (result) => {
        if (over.aborted) return;
        over.abort(WAIT_OVER);
        resolve(result);
      };
    });
    const waiter: Waiter = {
      modelId,
      requestId: context.requestId,
      exclude: context.exclude,
      mayJump: context.mayJump !== false,
      enqueuedAt: started,
      prefix: () => (computed ??= { value: prefix ? prefix() : null }).value,
      loading: false,
      replan: false,
      swapWait: null,
      loadSince: null,
      coldLoadMs: 0,
      over,
      settle: (result) => settle(result),
    };
    this.#waiting.admit(
      waiter,
      { priority, flow: context.flow ?? "anonymous", limit: scheduler.queueLimit },
      {
        cancel: context.cancel,
        deadlineMs: scheduler.loadTimeoutMs,
        onDeadline: () =>
          new CortexError(
            "no_capacity",
            waiter.loading
              ? `${modelId} is still loading after ${Math.round(scheduler.loadTimeoutMs / 1000)} s`
              : waiter.swapWait !== null
                ? `no swap within ${Math.round(scheduler.loadTimeoutMs / 1000)} s: ${waiter.swapWait}`
                : `no sequence of ${modelId} came free within ${Math.round(scheduler.loadTimeoutMs / 1000)} s`,
            { retryAfter: 10 },
          ),
      },
    );
    this.pump(modelId);
    const result = await outcome;
    if ("error" in result) throw result.error;
    return this.#leaseRoute(result.node, modelId, waiter.coldLoadMs, result.reason, result.jumped);
  }

  #stopLoadClock(waiter: Waiter): void {
    if (waiter.loadSince === null) return;
    waiter.coldLoadMs += this.#options.now() - waiter.loadSince;
    waiter.loadSince = null;
  }

  /**
   * A waiter whose model is loaded nowhere it may go: its cold load starts, unless it is held back by a
   * yield or one runs for it already. When a copy went idle meanwhile (`unblocked`), a plan being made
   * may have seen it busy: that waiter plans again once the plan answers "wait for a swap" (else a
   * second release in the same tick was lost until the next poll).
   */
  #needsLoad(waiter: Waiter, entry: Parameters<WaitingRoom["remove"]>[0], unblocked: boolean): void {
    if (this.#heldByYield(waiter.modelId, waiter.exclude)) return;
    if (!waiter.loading) this.#coldLoad(waiter, entry);
    else if (unblocked) waiter.replan = true;
  }

  /** Starts (or joins) the cold load a waiter needs, and re-plans it while the plan was stale. */
  #coldLoad(waiter: Waiter, entry: Parameters<WaitingRoom["remove"]>[0]): void {
    waiter.loading = true;
    const context = {
      requestId: waiter.requestId,
      // The waiting room ends the wait (deadline, client gone); the load itself goes on for others.
      cancel: { signal: waiter.over.signal },
      ...(waiter.exclude ? { exclude: waiter.exclude } : {}),
      mayWaitForSwap: true,
    };
    void (async () => {
      for (let attempt = 1; ; attempt++) {
        waiter.loadSince = this.#options.now();
        try {
          await this.#options.coldLoads().ensure(waiter.modelId, context);
          this.#stopLoadClock(waiter);
          waiter.loading = false;
          waiter.replan = false;
          waiter.swapWait = null;
          this.#endSwapWait(waiter.modelId);
          this.pump(waiter.modelId);
          return;
        } catch (error) {
          this.#stopLoadClock(waiter);
          if (error instanceof SwapPending && !waiter.over.aborted) {
            // Stays queued: the load is tried again as requests finish (release) and after each poll.
            waiter.loading = false;
            waiter.swapWait = error.message;
            this.#noteSwapWait(waiter.modelId, waiter.requestId, error.plan);
            if (waiter.replan) {
              waiter.replan = false;
              this.pump(waiter.modelId);
            }
            return;
          }
          const stale = isCortexError(error) && error.code === "insufficient_memory";
          if (stale && attempt < MAX_PLACEMENT_ATTEMPTS && !waiter.over.aborted) continue;
          waiter.loading = false;
          this.#waiting.remove(entry);
          waiter.settle({ error });
          return;
        }
      }
    })();
  }

  #dispatch(
    modelId: string,
    choice: RouteChoice,
    requestId: string,
    prefix: (() => RequestPrefix | null) | undefined,
    coldLoadMs: number,
  ): Route {
    const { node, reason, jumped } = this.#dispatchLease(modelId, choice, requestId, prefix);
    return this.#leaseRoute(node, modelId, coldLoadMs, reason, jumped);
  }

  /** Books the choice: logs a move away from the prefix, remembers where the prompt now is. */
  #dispatchLease(
    modelId: string,
    choice: RouteChoice,
    requestId: string,
    prefix: (() => RequestPrefix | null) | undefined,
  ): { node: string; reason: RouteReason; jumped?: true } {
    const node = choice.node as string;
    const moved = describeMove(choice);
    if (moved !== null) this.#options.decide("route", modelId, node, requestId, `${requestId} ${moved}`);
    const requestPrefix = choice.scored.length > 1 && prefix ? prefix() : null;
    if (requestPrefix) this.#routed.remember(modelId, node, requestPrefix, this.#options.now());
    // Counted now, so the next request in the same pump sees the sequence taken.
    this.#count(node, modelId, 1);
    const reason = routeReason(this.#options.config().scheduler.routing, choice);
    return jumps(choice) ? { node, reason, jumped: true } : { node, reason };
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
    if (!this.#ownAtReport.has(report)) {
      const own = new Map<string, number>();
      for (const model of report.models) {
        const key = slotKey(report.name, model.id);
        const count = this.#inFlight.get(key);
        if (count !== undefined) own.set(key, count);
      }
      this.#ownAtReport.set(report, own);
    }
    let node = this.#baseSnapshots.get(report);
    if (!node) {
      node = toNodeSnapshot(report, (id) => this.#policy(id));
      this.#baseSnapshots.set(report, node);
    }
    return node;
  }

  /**
   * The node with this gateway's loads in flight counted: a model the report still shows unloaded
   * (or failed) is `loading` and its bytes are taken from free memory. Once the node reports the load
   * itself (loading or loaded, its memory in `used`), the report is right as it is.
   */
  #withOwnLoads(node: NodeSnapshot): NodeSnapshot {
    if (this.#loading.size === 0) return node;
    let taken = 0;
    const models = node.models.map((model) => {
      const bytes = this.#loading.get(slotKey(node.name, model.id))?.bytes;
      if (bytes === undefined || (model.state !== "unloaded" && model.state !== "failed")) return model;
      taken += bytes;
      return { ...model, state: "loading" as const };
    });
    if (taken === 0) return node;
    return {
      ...node,
      memory: { ...node.memory, used: node.memory.used + taken, free: node.memory.free - taken },
      models,
    };
  }

  #policy(modelId: string): ModelPolicy {
    const profile = this.#options.config().profileOf(modelId);
    return {
      pinned: this.isPinned(modelId),
      priority: profile.priority,
      ...(profile.allowedNodes ? { allowedNodes: profile.allowedNodes } : {}),
    };
  }

  /**
   * How many of this gateway's leases of a slot a node's report may have counted: it was taken between
   * the poll's sending (`from`) and its arrival (`to`). A report that arrives
   * after a request ended still counts it; without this the node would look busy with another
   * gateway's request until the next poll, and a session's next turn would leave its prefix.
   */
  #ownAt(key: string, from: number, to: number, local: number): number {
    const events = this.#leaseEvents.get(key);
    if (!events) return local;
    // Binary searches: at a few thousand requests a second the lists hold thousands of events, and this
    // runs for every slot of every snapshot (a linear scan here cost most of the gateway's CPU).
    const after = (times: number[], at: number) => times.length - firstAfter(times, at);
    // Every lease alive at some moment of [from, to] may be in the report: the ones running now, minus
    // those started after `to`, plus those ended after `from`. Counting one too many as ours only makes
    // another gateway's load look smaller until the next poll; counting ours as another's moved sessions.
    return Math.max(0, local - after(events.starts, to) + after(events.ends, from));
  }

  /**
   * Drops the lease history of slots with nothing in flight and no event within the horizon (a model
   * gone quiet, a node removed by a reload): no report still in use can need it.
   */
  #pruneLeaseEvents(): void {
    const horizon =
      this.#options.now() - LEASE_EVENT_POLLS * this.#options.config().scheduler.upkeepIntervalMs;
    for (const [key, events] of this.#leaseEvents) {
      const newest = Math.max(events.starts.at(-1) ?? -Infinity, events.ends.at(-1) ?? -Infinity);
      if (newest < horizon && !this.#inFlight.has(key)) this.#leaseEvents.delete(key);
    }
  }

  #noteLease(key: string, kind: "starts" | "ends"): void {
    const now = this.#options.now();
    let events = this.#leaseEvents.get(key);
    if (!events) {
      events = { starts: [], ends: [] };
      this.#leaseEvents.set(key, events);
    }
    const list = events[kind];
    list.push(now);
    // Only events newer than the oldest report still in use matter: a few poll intervals, bounded.
    const horizon = now - LEASE_EVENT_POLLS * this.#options.config().scheduler.upkeepIntervalMs;
    // Trimmed in chunks: splicing the front of a list of thousands on every lease (it moves the whole
    // list) was a large share of the router's cost at a few thousand requests a second. Older events
    // kept a little longer change no count (only events after a report's time are counted).
    const stale = firstAfter(list, horizon - 1);
    const over = list.length - MAX_LEASE_EVENTS;
    if (stale >= LEASE_TRIM_CHUNK || over >= LEASE_TRIM_CHUNK) list.splice(0, Math.max(stale, over));
  }

  #count(node: string, modelId: string, delta: number): void {
    const key = slotKey(node, modelId);
    this.#noteLease(key, delta > 0 ? "starts" : "ends");
    const count = (this.#inFlight.get(key) ?? 0) + delta;
    if (count > 0) this.#inFlight.set(key, count);
    else this.#inFlight.delete(key);
  }

  /** The route of a sequence already counted for `node`: its release frees it and serves the queue. */
  #leaseRoute(
    node: string,
    modelId: string,
    coldLoadMs: number,
    reason: RouteReason,
    jumped: true | undefined,
  ): Route {
    const leasedAt = this.#options.now();
    let released = false;
    return {
      node,
      coldLoadMs,
      reason,
      ...(jumped ? { jumped } : {}),
      release: () => {
        if (released) return;
        released = true;
        this.#count(node, modelId, -1);
        const held = this.#options.now() - leasedAt;
        const previous = this.#serviceMs.get(modelId);
        this.#serviceMs.set(
          modelId,
          previous === undefined ? held : previous + SERVICE_EWMA * (held - previous),
        );
        this.pump(modelId);
        this.#pumpSwapWaits(node, modelId);
      },
    };
  }

  /**
   * After a request ended (and its own model's queue was served first): a model waiting for a swap can
   * load only once a copy has gone idle on a node it may go to, so only then is its load tried again.
   * A release that leaves its copy busy unblocks nobody: re-planning every waiting model on every
   * release cost a placement plan per model per request under load. The poll re-plans in any case.
   */
  #pumpSwapWaits(node: string, modelId: string): void {
    if (this.#swapWaits.size === 0) return;
    this.#checkQuanta();
    if (!this.#mayBeIdle(node, modelId)) return;
    const listed = this.#options.reports().find((report) => report.name === node)?.models;
    if (listed === undefined) return;
    for (const waiting of [...this.#swapWaits.keys()]) {
      if (listed.some((model) => model.id === waiting)) this.pump(waiting, true);
    }
  }

  /**
   * Whether the copy may be cold now as placement sees it: none of this gateway's requests on it or
   * waiting for it (unless it yields). Another gateway's requests are not known until the next poll, so
   * a copy they keep busy counts as maybe idle: a retry too many, never one missed.
   */
  #mayBeIdle(node: string, modelId: string): boolean {
    const key = slotKey(node, modelId);
    if (this.#inFlight.has(key)) return false;
    return this.#waiting.size(modelId) === 0 || this.#yielding.has(key);
  }

  /**
   * A waiter's model must wait for a swap: its quantum runs from the first time (docs/decisions.md).
   * One decision per swap it waits for, not one per retry (every finished request): when the wait
   * starts, and again when it waits for other busy models. The wait ends with its last waiter
   * (`#checkQuanta`), so the next one is explained again.
   */
  #noteSwapWait(modelId: string, requestId: string, plan: SwapPlan): void {
    const wait = this.#swapWaits.get(modelId);
    if (!wait) {
      this.#swapWaits.set(modelId, { since: this.#options.now(), requestId, plan, yielded: false });
      this.#options.decide("wait", modelId, plan.node, requestId, plan.reason);
    } else {
      const before = wait.plan;
      wait.plan = plan;
      if (before.node !== plan.node || before.busy.join("\u0000") !== plan.busy.join("\u0000")) {
        this.#options.decide("wait", modelId, plan.node, requestId, plan.reason);
        // It waits for other copies now: those yield (and say so), the ones before take requests again.
        if (wait.yielded) {
          wait.yielded = false;
          this.#rebuildYields();
        }
      }
    }
    this.#checkQuanta();
  }

  /** The model's swap happened (or it waits no more): the copies it held back take requests again. */
  #endSwapWait(modelId: string): void {
    const wait = this.#swapWaits.get(modelId);
    if (!wait) return;
    this.#swapWaits.delete(modelId);
    if (wait.yielded) this.#rebuildYields();
  }

  /**
   * Time-slicing of swaps: a model that has waited `swap_quantum` for busy models gets its turn (their
   * copies there get no new requests, so the ones in flight finish and the swap happens); a model whose
   * waiters all left (deadline, client gone) ends its wait, so the copies it held back are not held
   * back for nobody.
   */
  #checkQuanta(): void {
    if (this.#swapWaits.size === 0) return;
    const now = this.#options.now();
    const quantum = this.#options.config().scheduler.swapQuantumMs;
    let changed = false;
    for (const [modelId, wait] of this.#swapWaits) {
      if (this.#waiting.size(modelId) === 0) {
        this.#swapWaits.delete(modelId);
        changed ||= wait.yielded;
      } else if (!wait.yielded && now - wait.since >= quantum) {
        wait.yielded = true;
        changed = true;
        const { node, busy } = wait.plan;
        const names = busy.join(", ");
        this.#options.decide(
          "wait",
          modelId,
          node,
          wait.requestId,
          `${modelId} has waited ${Math.round((now - wait.since) / 1000)} s for ${names} on ${node}: ` +
            `${names} ${busy.length === 1 ? "gets" : "get"} no new requests there until the swap ` +
            `(swap_quantum ${Math.round(quantum / 1000)} s)`,
        );
      }
    }
    if (changed) this.#rebuildYields();
  }

  #rebuildYields(): void {
    const before = this.#yielding;
    const after = new Set<string>();
    for (const wait of this.#swapWaits.values()) {
      if (wait.yielded) for (const busy of wait.plan.busy) after.add(slotKey(wait.plan.node, busy));
    }
    this.#yielding = after;
    // Requests held back from a copy that takes them again go now: they started no cold load meanwhile.
    for (const key of before) {
      if (!after.has(key)) this.pump(key.split("\u0000")[1] as string);
    }
  }

  /** Whether routing may send a new request to this copy: not while it yields to a waiting model. */
  #takesRequests(node: string, modelId: string): boolean {
    return this.#yielding.size === 0 || !this.#yielding.has(slotKey(node, modelId));
  }

  /**
   * Whether the waiter's model yields its turn on a node the waiter may use: it waits there for the swap
   * and then for its own swap back, instead of starting a cold load. One now would find the model still
   * loaded (a load call that returns at once, a pump, and again: a loop of load calls), or, while it
   * is being evicted, the node's memory not yet given back (a 503 where a wait was due).
   */
  #heldByYield(modelId: string, exclude: ReadonlySet<string> | undefined): boolean {
    if (this.#yielding.size === 0) return false;
    for (const key of this.#yielding) {
      const [node = "", model] = key.split("\u0000");
      if (model === modelId && !exclude?.has(node)) return true;
    }
    return false;
  }
}

/** A loaded copy routing may use, as the reports in force show it (`Router.#copies`). */
interface Copy extends RoutableCopy {
  readonly key: string;
  /** Tokens of the longest prefix the node reports for the model (whether a request could jump there). */
  readonly longestHeld: number;
  /** The node's report it comes from: what the node counted as in flight was counted then. */
  readonly report: NodeReport;
}

/** `fn` once, however often the returned function is called. */
function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

function slotKey(node: string, model: string): string {
  return `${node}\u0000${model}`;
}

/**
 * The index of the first time in `times` later than `at` (`times.length` when none is). `times` is
 * appended with `now()` as leases start and end, so it is sorted; a clock stepping back only makes
 * the count of a few events approximate, never wrong in kind.
 */
function firstAfter(times: readonly number[], at: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((times[middle] as number) > at) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** The chosen node has no free sequence for it, and the request goes anyway (short there). */
function jumps(choice: RouteChoice): boolean {
  const chosen = choice.scored.find((entry) => entry.candidate.node === choice.node);
  return chosen !== undefined && !chosen.free && chosen.jumps;
}
