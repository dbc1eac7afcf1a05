import type { GatewayContext } from "../http/gateway-context.js";
import type { Decision } from "../scheduler/decision-log.js";
import { RateHistory, type RateSeries } from "./rate-history.js";

/** Everything the page draws, sent on connect and then every tick. */
export interface DashboardSnapshot {
  /** Epoch ms. */
  at: number;
  interval_ms: number;
  fleet: unknown;
  catalog: unknown;
  rates: RateSeries[];
  /** Newest last. */
  decisions: Decision[];
}

export interface DashboardListener {
  snapshot(snapshot: DashboardSnapshot): void;
  decision(decision: Decision): void;
}

export interface DashboardFeedOptions {
  intervalMs: number;
  /** Samples kept per node/model pair for the sparklines. */
  historyLength: number;
  decisionCount: number;
}

const DEFAULTS: DashboardFeedOptions = { intervalMs: 1000, historyLength: 60, decisionCount: 50 };

/**
 * One per gateway, shared by every open dashboard: samples the metrics registry and broadcasts a snapshot
 * each tick, and forwards decisions as they are made. It only runs while someone is watching.
 */
export class DashboardFeed {
  readonly #ctx: GatewayContext;
  readonly #options: DashboardFeedOptions;
  readonly #history: RateHistory;
  readonly #listeners = new Set<DashboardListener>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #stopDecisions: (() => void) | undefined;
  #sampling = false;

  constructor(ctx: GatewayContext, options: Partial<DashboardFeedOptions> = {}) {
    this.#ctx = ctx;
    this.#options = { ...DEFAULTS, ...options };
    this.#history = new RateHistory(this.#options.historyLength);
  }

  /** Starts the ticks with the first listener; the returned function stops them with the last. */
  subscribe(listener: DashboardListener): () => void {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) this.#start();
    return () => {
      if (this.#listeners.delete(listener) && this.#listeners.size === 0) this.#stop();
    };
  }

  snapshot(): DashboardSnapshot {
    return {
      at: this.#ctx.now(),
      interval_ms: this.#options.intervalMs,
      fleet: this.#ctx.fleet(),
      catalog: this.#ctx.catalog(),
      rates: this.#history.series(),
      decisions: this.#ctx.decisions.list(this.#options.decisionCount),
    };
  }

  #start(): void {
    this.#stopDecisions = this.#ctx.decisions.subscribe((decision) => {
      for (const listener of this.#listeners) listener.decision(decision);
    });
    // The first reading is the baseline the first tick's deltas are taken from.
    this.#history.rebase();
    void this.#sample();
    this.#timer = setInterval(() => void this.#tick(), this.#options.intervalMs);
    this.#timer.unref();
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#stopDecisions?.();
    this.#timer = undefined;
    this.#stopDecisions = undefined;
  }

  async #tick(): Promise<void> {
    await this.#sample();
    if (this.#listeners.size === 0) return;
    const snapshot = this.snapshot();
    for (const listener of this.#listeners) listener.snapshot(snapshot);
  }

  async #sample(): Promise<void> {
    if (this.#sampling) return;
    this.#sampling = true;
    try {
      const { decodeRate, timeToFirstToken } = this.#ctx.metrics;
      this.#history.record(await decodeRate.get(), await timeToFirstToken.get());
    } catch {
      // A failed read leaves a gap in the sparklines; the next tick tries again.
    } finally {
      this.#sampling = false;
    }
  }
}

const feeds = new WeakMap<GatewayContext, DashboardFeed>();

/** The gateway's one feed, created on the first dashboard connection. */
export function dashboardFeedOf(ctx: GatewayContext): DashboardFeed {
  let feed = feeds.get(ctx);
  if (!feed) {
    feed = new DashboardFeed(ctx);
    feeds.set(ctx, feed);
  }
  return feed;
}
