import type { ColdLoads, SchedulerEffects } from "./cold-loads.js";
import type { Decide } from "./decision-log.js";
import { CortexError } from "@cortex/core";
import type { NodeReport } from "../routing/to-node-snapshot.js";
import type { PinView, Router } from "./router.js";

/**
 * Runtime pins (`cortex pin`) as the nodes report them: each neuron keeps the pins of its models, so
 * every gateway in front of the fleet sees the same pins and a gateway restart loses none (issue 11
 * finding 11). A model is pinned when any node reports it pinned, unpinned when a node reports an unpin
 * and none a pin, and left to models.toml otherwise. Recomputed only when the registry hands out new
 * reports (it keeps the same frozen array until a node changes).
 */
export class ReportedPins implements PinView {
  readonly #reports: () => readonly NodeReport[];
  #seen: readonly NodeReport[] | undefined;
  #pins = new Map<string, boolean>();
  #key = "";
  #version = 0;

  constructor(reports: () => readonly NodeReport[]) {
    this.#reports = reports;
  }

  get version(): number {
    this.#refresh();
    return this.#version;
  }

  pinned(modelId: string): boolean | undefined {
    this.#refresh();
    return this.#pins.get(modelId);
  }

  #refresh(): void {
    const reports = this.#reports();
    if (reports === this.#seen) return;
    this.#seen = reports;
    const pins = new Map<string, boolean>();
    for (const report of reports) {
      for (const model of report.models) {
        if (typeof model.pinned === "boolean")
          pins.set(model.id, pins.get(model.id) === true || model.pinned);
      }
    }
    const key = [...pins]
      .map(([id, pinned]) => `${id}=${pinned}`)
      .sort()
      .join("\n");
    if (key === this.#key) return;
    this.#key = key;
    this.#pins = pins;
    this.#version++;
  }
}

export interface FleetOperationsOptions {
  router: Router;
  coldLoads: ColdLoads;
  effects: SchedulerEffects;
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

  /**
   * Sets the pin on every live node that lists the model (where it is loaded now and where it may be
   * loaded later), so it holds whichever node serves it; returns the nodes that took it.
   */
  async setPinned(
    modelId: string,
    pinned: boolean,
    requestId: string,
    signal: AbortSignal,
  ): Promise<string[]> {
    const nodes = this.#options.router
      .snapshot()
      .nodes.filter((n) => n.state !== "down" && n.models.some((m) => m.id === modelId))
      .map((n) => n.name);
    const results = await Promise.allSettled(
      nodes.map((node) => this.#options.effects.pin(node, modelId, pinned, signal)),
    );
    const took = nodes.filter((_node, index) => results[index]?.status === "fulfilled");
    const failed = results.find((result) => result.status === "rejected");
    if (took.length === 0) {
      if (failed) throw failed.reason;
      throw new CortexError("model_not_found", `model ${modelId} is not served by any available node`, {
        param: "model",
      });
    }
    this.#options.decide(
      pinned ? "pin" : "unpin",
      modelId,
      null,
      requestId,
      `${pinned ? "pinned" : "unpinned"} ${modelId} on ${took.join(", ")}`,
    );
    return took;
  }
}
