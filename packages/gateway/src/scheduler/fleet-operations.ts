import type { ColdLoads, SchedulerEffects } from "./cold-loads.js";
import type { Decide } from "./decision-log.js";
import type { PinView, Router } from "./router.js";

/** Runtime pins (`cortex pin`), in this gateway's memory. */
export class PinStore implements PinView {
  readonly #pins = new Map<string, boolean>();
  #version = 0;

  get version(): number {
    return this.#version;
  }

  pinned(modelId: string): boolean | undefined {
    return this.#pins.get(modelId);
  }

  set(modelId: string, pinned: boolean): void {
    this.#pins.set(modelId, pinned);
    this.#version++;
  }
}

export interface FleetOperationsOptions {
  router: Router;
  coldLoads: ColdLoads;
  effects: SchedulerEffects;
  pins: PinStore;
  decide: Decide;
}

/**
 * What an operator asks for (`cortex load`, `unload`, `pin`, `unpin`): loads go through the cold-load
 * queue like a request's, so an operator's load and a request's for the same model are one load.
 */
export class FleetOperations {
  readonly #options: FleetOperationsOptions;

  constructor(options: FleetOperationsOptions) {
    this.#options = options;
  }

  /** On `node` when given, else wherever placement puts it. */
  async load(
    modelId: string,
    node: string | undefined,
    requestId: string,
    signal: AbortSignal,
  ): Promise<void> {
    this.#options.router.assertOffered(modelId);
    this.#options.router.noteUsed(modelId);
    await this.#options.coldLoads.ensure(modelId, {
      requestId,
      cancel: { signal },
      ...(node === undefined ? {} : { node }),
    });
  }

  /** Unloads it from `node`, or from every node holding it; returns the nodes it left. */
  async unload(
    modelId: string,
    node: string | undefined,
    requestId: string,
    signal: AbortSignal,
  ): Promise<string[]> {
    const hosts = this.#options.router
      .snapshot()
      .nodes.filter(
        (n) =>
          (node === undefined || n.name === node) &&
          n.models.some((m) => m.id === modelId && m.state !== "unloaded" && m.state !== "failed"),
      )
      .map((n) => n.name);
    for (const host of hosts) {
      this.#options.decide(
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
    this.#options.pins.set(modelId, pinned);
    this.#options.decide(
      pinned ? "pin" : "unpin",
      modelId,
      null,
      requestId,
      `${pinned ? "pinned" : "unpinned"} ${modelId}`,
    );
  }
}
