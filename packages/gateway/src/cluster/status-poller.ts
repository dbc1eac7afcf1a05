import { CortexError, toCortexError, type NeuronInfo, type NeuronModelsResponse } from "@cortex/core";
import type { NodeRegistry, NodeStatusReport } from "./node-registry.js";
import type { NodeView } from "./node-view.js";

/** Time as the poller sees it; tests pass a fake one they advance by hand. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  // Unref'd: a poller left running must not keep a finished process (or test worker) alive.
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** What the poller needs of a neuron client. */
export interface NeuronStatusSource {
  info(signal: AbortSignal): Promise<NeuronInfo>;
  models(signal: AbortSignal): Promise<NeuronModelsResponse>;
}

export interface StatusPollerOptions {
  readonly registry: NodeRegistry;
  readonly clients: { get(name: string): NeuronStatusSource | undefined };
  /** Milliseconds between polls of a healthy node. */
  readonly pollInterval: number;
  /** Milliseconds one poll may take before it counts as failed; default max(pollInterval, 5 s). */
  readonly pollTimeout?: number;
  /** Longest wait between polls of a down node. */
  readonly maxBackoff?: number;
  readonly clock?: Clock;
}

const DEFAULT_MAX_BACKOFF = 30_000;
const MIN_DEFAULT_TIMEOUT = 5_000;

/**
 * Polls every node's `/info` and `/models` into the registry. Each node is polled on its own (a hanging
 * node never delays the others) and at most once at a time; a down node is polled half as often after
 * each further failure, up to `maxBackoff`, so a dead host costs little.
 */
export class StatusPoller {
  readonly #registry: NodeRegistry;
  readonly #clients: StatusPollerOptions["clients"];
  readonly #options: StatusPollerOptions;
  #interval = 0;
  #timeout = 0;
  #maxRounds = 1;
  readonly #clock: Clock;
  readonly #inFlight = new Map<string, { done: Promise<void>; controller: AbortController }>();
  /** Rounds a backed-off node sits out before its next poll. */
  readonly #skip = new Map<string, number>();
  #timer: unknown;
  #running = false;

  constructor(options: StatusPollerOptions) {
    this.#registry = options.registry;
    this.#clients = options.clients;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.setPollInterval(options.pollInterval);
  }

  /** Config reload: the next round comes one new interval from now (not when the old one would have). */
  setPollInterval(pollInterval: number): void {
    const options = this.#options;
    const changed = pollInterval !== this.#interval;
    this.#interval = pollInterval;
    this.#timeout = options.pollTimeout ?? Math.max(pollInterval, MIN_DEFAULT_TIMEOUT);
    this.#maxRounds = Math.max(1, Math.floor((options.maxBackoff ?? DEFAULT_MAX_BACKOFF) / pollInterval));
    if (changed && this.#running) {
      if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
      this.#arm();
    }
  }

  /** Polls on every interval from now on; call `pollNow()` first to start with a known fleet. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#arm();
  }

  /** Stops polling, cancels polls in flight (they record nothing) and waits for them to settle. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const poll of this.#inFlight.values()) poll.controller.abort(STOPPED);
    await this.settled();
  }

  /** Polls every node now, backoff or not; resolves once each result is in the registry. */
  async pollNow(): Promise<void> {
    await Promise.all(this.#registry.snapshot().map((node) => this.#pollFresh(node.name)));
  }

  /** Polls one node now (e.g. after a request to it failed) and returns its new view. */
  async refreshNode(name: string): Promise<NodeView | undefined> {
    await this.#pollFresh(name);
    return this.#registry.get(name);
  }

  /** Resolves when no poll (of `name`, if given) is in flight: tests advance a fake clock, then wait. */
  async settled(name?: string): Promise<void> {
    const pending = (): Promise<void>[] =>
      [...this.#inFlight.entries()]
        .filter(([node]) => name === undefined || node === name)
        .map(([, poll]) => poll.done);
    for (let polls = pending(); polls.length > 0; polls = pending()) await Promise.all(polls);
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(() => this.#round(), this.#interval);
  }

  #round(): void {
    if (!this.#running) return;
    for (const node of this.#registry.snapshot()) {
      if (this.#inFlight.has(node.name)) continue;
      const skip = this.#skip.get(node.name) ?? 0;
      if (skip > 0) {
        this.#skip.set(node.name, skip - 1);
        continue;
      }
      void this.#poll(node.name);
    }
    this.#arm();
  }

  /** A poll that started before this call may predate what the caller wants to see: wait, then poll. */
  async #pollFresh(name: string): Promise<void> {
    await this.#inFlight.get(name)?.done;
    await this.#poll(name);
  }

  #poll(name: string): Promise<void> {
    const existing = this.#inFlight.get(name);
    if (existing !== undefined) return existing.done;
    const controller = new AbortController();
    const done = this.#fetch(name, controller).finally(() => this.#inFlight.delete(name));
    this.#inFlight.set(name, { done, controller });
    return done;
  }

  async #fetch(name: string, controller: AbortController): Promise<void> {
    const client = this.#clients.get(name);
    if (client === undefined) return;
    const revision = this.#registry.revision;
    const deadline = this.#clock.setTimeout(() => controller.abort(this.#timeoutError(name)), this.#timeout);
    let report: NodeStatusReport | undefined;
    const polledAt = this.#clock.now();
    try {
      const [info, models] = await Promise.all([
        client.info(controller.signal),
        client.models(controller.signal),
      ]);
      report = { info, models: models.models };
    } catch (error) {
      if (controller.signal.reason === STOPPED) return;
      // The sibling request is pointless once one half failed.
      controller.abort();
      this.#registry.recordFailure(name, toCortexError(error), revision);
    } finally {
      this.#clock.clearTimeout(deadline);
    }
    if (report !== undefined) this.#registry.recordSuccess(name, report, revision, polledAt);
    this.#skip.set(name, this.#roundsToSkip(name));
  }

  #timeoutError(name: string): CortexError {
    return new CortexError("upstream_timeout", `neuron ${name} sent no status within ${this.#timeout} ms`);
  }

  /** 0 while the node is reachable; 1, 3, 7… rounds (interval ×2, ×4, ×8…) once it is down. */
  #roundsToSkip(name: string): number {
    const node = this.#registry.get(name);
    if (node === undefined || node.state !== "down") return 0;
    const doublings = Math.max(0, node.failures - this.#registry.downAfter);
    return Math.min(2 ** Math.min(doublings, 30), this.#maxRounds) - 1;
  }
}

/** The abort reason of polls cut short by `stop()`: told apart by identity, so they record nothing. */
const STOPPED = new CortexError("request_aborted", "status poller stopped");
