import { CortexError, isCortexError } from "@cortex/core";
import type { FleetSnapshot, PlacementRequest } from "../routing/fleet-snapshot.js";
import { planPlacement, planSwap, type PlacementPlan, type SwapPlan } from "../routing/placement.js";
import type { ModelPlacementProfile } from "../runtime/gateway-runtime.js";
import type { Decide } from "./decision-log.js";
import type { SchedulerConfig } from "./router.js";

/** What the scheduler does to the fleet; tests replace it with a recorder. */
export interface SchedulerEffects {
  /** Resolves once the model is loaded on the node (joins a load already running there). */
  load(node: string, model: string, signal: AbortSignal): Promise<void>;
  /** Resolves once it is unloaded; the neuron waits for the model's in-flight requests first. */
  unload(node: string, model: string, signal: AbortSignal): Promise<void>;
  /** Sets the model's runtime pin on the node, which keeps and reports it (`cortex pin`). */
  pin(node: string, model: string, pinned: boolean, signal: AbortSignal): Promise<void>;
}

export interface LoadContext {
  requestId: string;
  /** The caller giving up: its own wait ends, the load (which others may be waiting for) goes on. */
  cancel: { readonly signal: AbortSignal };
  /** Nodes that already failed this request. */
  exclude?: ReadonlySet<string>;
  /** An operator's explicit target (`cortex load --node`); placement decides otherwise. */
  node?: string;
  /**
   * A request that can wait (the router's waiting room): when the model fits only once busy models are
   * served, the load fails with `SwapPending` instead of `no_fit`, and the caller retries later.
   */
  mayWaitForSwap?: boolean;
}

/**
 * The model can be loaded only once busy models are served and evicted: the request keeps waiting
 * (the router retries the load as requests finish). Anyone else sees a 503 `no_capacity` saying why.
 */
export class SwapPending extends CortexError {
  /** Where the model waits, and for which busy models (the router time-slices them: swap_quantum). */
  readonly plan: SwapPlan;

  constructor(plan: SwapPlan) {
    super("no_capacity", plan.reason, { retryAfter: 10 });
    this.plan = plan;
  }
}

export interface ColdLoadsOptions {
  effects: SchedulerEffects;
  snapshot: (exclude?: ReadonlySet<string>) => FleetSnapshot;
  config: () => SchedulerConfig;
  decide: Decide;
  /** A load needed evictions: defrag counts these cycles. */
  onEvictionCycle: (request: PlacementRequest) => void;
  /** Stops routing to a copy while it is evicted (Router.drain); returns the undo. */
  drain: (node: string, modelId: string) => () => void;
  /** Counts a load's memory as taken until the node reports it (Router.loading); returns the undo. */
  loading: (node: string, modelId: string, bytes: number) => () => void;
}

/**
 * A failed load that another node may not repeat: the node is gone (connect error, reset), answered
 * with something that is not our envelope, or failed on its side (5xx). `insufficient_memory` is a
 * stale plan (re-planned by the router), `model_load_failed` a broken model (fails everywhere).
 */
function isNodeFault(error: unknown): boolean {
  if (!isCortexError(error)) return false;
  return (
    error.code === "node_unavailable" ||
    error.code === "upstream_error" ||
    (error.status >= 500 &&
      error.retryable &&
      error.code !== "insufficient_memory" &&
      error.code !== "upstream_timeout")
  );
}

/**
 * Cold-load coalescing: one load per model at a time, whoever asks (a request for a model loaded
 * nowhere, or an operator's `cortex load`); everyone else waits for that load, in a bounded queue for a
 * bounded time. A load is planned by the pure placement policy and executed here (evictions first),
 * each step recorded as a decision; a node that fails the load is left out and the next placement tried.
 */
export class ColdLoads {
  readonly #options: ColdLoadsOptions;
  readonly #pending = new Map<string, { done: Promise<void>; waiters: number }>();

  constructor(options: ColdLoadsOptions) {
    this.#options = options;
  }

  /** Models a load is running for (on any node). */
  loadingModels(): Set<string> {
    return new Set([...this.#pending.keys()].map((key) => key.split("\u0000")[0] as string));
  }

  /** Resolves once the model is loaded (by this call's load or one already running). */
  async ensure(modelId: string, context: LoadContext): Promise<void> {
    const { queueLimit, loadTimeoutMs } = this.#options.config().scheduler;
    const key = context.node === undefined ? modelId : `${modelId}\u0000${context.node}`;
    let pending = this.#pending.get(key);
    if (!pending) {
      const done = this.#place(modelId, context).finally(() => this.#pending.delete(key));
      pending = { done, waiters: 0 };
      this.#pending.set(key, pending);
    } else if (pending.waiters >= queueLimit) {
      throw new CortexError(
        "queue_full",
        `${pending.waiters} requests are already waiting for ${modelId} to load`,
        { retryAfter: 5 },
      );
    }
    pending.waiters++;
    try {
      await boundedWait(pending.done, loadTimeoutMs, context.cancel.signal, modelId);
    } finally {
      pending.waiters--;
    }
  }

  /** Plans and executes the load, failing over to the next placement when a node fails it. */
  async #place(modelId: string, context: LoadContext): Promise<void> {
    const config = this.#options.config();
    const { strategy, extraHeadroom, loadTimeoutMs } = config.scheduler;
    const profile = config.profileOf(modelId);
    const request = placementRequest(modelId, profile, context.node, extraHeadroom);
    // Loads outlive the request that started them: others may be waiting for the same model.
    const signal = AbortSignal.timeout(loadTimeoutMs);
    const failed = new Set(context.exclude);
    let nodeFault: CortexError | undefined;
    for (;;) {
      const snapshot = this.#options.snapshot(failed);
      const plan = planPlacement(snapshot, request, strategy);
      // With the failed nodes left out nothing fits: what failed says more than "no room".
      if (plan.kind === "no_fit" && nodeFault) throw nodeFault;
      if (plan.kind === "no_fit" && context.mayWaitForSwap === true) {
        // The router keeps the model's swap wait (and records its decision once): it knows when the
        // requests waiting for it are gone.
        const swap = planSwap(snapshot, request);
        if (swap !== null) throw new SwapPending(swap);
      }
      try {
        await this.#execute(plan, request, context.requestId, signal);
        return;
      } catch (error) {
        // The load's own deadline and the waiters' are the same: one cause, one answer.
        if (signal.aborted) throw stillLoading(modelId, loadTimeoutMs);
        if (plan.kind === "no_fit" || !isNodeFault(error)) throw error;
        nodeFault = error as CortexError;
        failed.add(plan.node);
        this.#options.decide(
          "load_failed",
          modelId,
          plan.node,
          context.requestId,
          `loading ${modelId} on ${plan.node} failed (${nodeFault.message}); trying the next placement without it`,
        );
      }
    }
  }

  async #execute(
    plan: PlacementPlan,
    request: PlacementRequest,
    requestId: string,
    signal: AbortSignal,
  ): Promise<void> {
    const { effects, decide } = this.#options;
    const { modelId } = request;
    switch (plan.kind) {
      case "no_fit":
        decide(
          "no_fit",
          modelId,
          null,
          requestId,
          `cannot place ${modelId} for request ${requestId}: ${plan.reason}`,
        );
        throw new CortexError("no_capacity", plan.reason, { retryAfter: 10 });
      case "wait":
        decide(
          "wait",
          modelId,
          plan.node,
          requestId,
          `waiting for ${modelId} on ${plan.node}: ${plan.reason}`,
        );
        await effects.load(plan.node, modelId, signal);
        return;
      case "load": {
        // From the plan on, until the node's report shows it: the memory the load will take is not free
        // for another placement, and the victims get no new requests (each would make its node load
        // the victim again right after unloading it).
        const undo = [
          this.#options.loading(plan.node, modelId, plan.need),
          ...plan.evict.map((eviction) => this.#options.drain(eviction.node, eviction.modelId)),
        ];
        try {
          for (const eviction of plan.evict) {
            decide(
              "evict",
              eviction.modelId,
              eviction.node,
              requestId,
              `evicted ${eviction.modelId} on ${eviction.node} to load ${modelId} for request ${requestId} (${eviction.reason})`,
            );
            await effects.unload(eviction.node, eviction.modelId, signal);
          }
          decide(
            "load",
            modelId,
            plan.node,
            requestId,
            `loading ${modelId} on ${plan.node} for request ${requestId}: ${plan.reason}`,
          );
          await effects.load(plan.node, modelId, signal);
        } finally {
          for (const end of undo) end();
        }
        if (plan.evict.length > 0) this.#options.onEvictionCycle(request);
        return;
      }
      default:
        plan satisfies never;
    }
  }
}

function placementRequest(
  modelId: string,
  profile: ModelPlacementProfile,
  node: string | undefined,
  extraHeadroom: number,
): PlacementRequest {
  const allowedNodes = node === undefined ? profile.allowedNodes : [node];
  return {
    modelId,
    ...(profile.requiredMemory === undefined ? {} : { requiredMemory: profile.requiredMemory }),
    ...(allowedNodes ? { allowedNodes } : {}),
    ...(profile.preferredNodes ? { preferredNodes: profile.preferredNodes } : {}),
    extraHeadroom,
  };
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

function boundedWait(
  done: Promise<void>,
  timeoutMs: number,
  signal: AbortSignal,
  modelId: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    };
    const timer = setTimeout(() => {
      settle();
      reject(stillLoading(modelId, timeoutMs));
    }, timeoutMs);
    const onAbort = (): void => {
      settle();
      reject(signal.reason);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    done.then(
      () => {
        settle();
        resolve();
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}
