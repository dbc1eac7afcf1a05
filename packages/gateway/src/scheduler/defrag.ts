import { planDefrag } from "../routing/defrag-plan.js";
import type { FleetSnapshot, PlacementRequest } from "../routing/fleet-snapshot.js";
import type { SchedulerEffects } from "./cold-loads.js";
import type { Decide } from "./decision-log.js";
import type { SchedulerConfig } from "./router.js";

export interface DefragOptions {
  effects: SchedulerEffects;
  snapshot: () => FleetSnapshot;
  /** Stops routing to the old copy of a model being moved; returns the undo. */
  drain: (node: string, modelId: string) => () => void;
  config: () => SchedulerConfig;
  decide: Decide;
  onError: (message: string, error: unknown) => void;
}

/**
 * Re-packing: counts eviction cycles and, every `defrag_after_cycles` of them, moves small cold models
 * so the last model that needed evictions would fit without any (else consolidates free memory). Each
 * move is load-new → drain (routing stops picking the old copy) → unload-old (which waits for the old
 * copy's in-flight requests), so no request is dropped.
 */
export class Defrag {
  readonly #options: DefragOptions;
  #cycles = 0;
  #runs = 0;
  #running: Promise<number> | undefined;
  #lastEvicting: PlacementRequest | undefined;

  constructor(options: DefragOptions) {
    this.#options = options;
  }

  get evictionCycles(): number {
    return this.#cycles;
  }

  /** Passes started (every `defragAfterCycles` eviction cycles, or by `run`). */
  get runs(): number {
    return this.#runs;
  }

  /** A load needed evictions; starts a pass in the background when it is time. */
  evictionCycle(request: PlacementRequest): void {
    this.#cycles++;
    this.#lastEvicting = request;
    const every = this.#options.config().scheduler.defragAfterCycles;
    if (every > 0 && this.#cycles % every === 0 && !this.#running) {
      this.#running = this.run().finally(() => {
        this.#running = undefined;
      });
    }
  }

  /** One pass; resolves with the number of models moved. */
  async run(): Promise<number> {
    this.#runs++;
    const { effects, decide } = this.#options;
    const { strategy, extraHeadroom, loadTimeoutMs } = this.#options.config().scheduler;
    const moves = planDefrag(this.#options.snapshot(), strategy, this.#lastEvicting, extraHeadroom);
    let moved = 0;
    for (const move of moves) {
      const signal = AbortSignal.timeout(loadTimeoutMs);
      decide(
        "defrag",
        move.modelId,
        move.to,
        null,
        `defrag: moving ${move.modelId} from ${move.from} to ${move.to} (${move.reason})`,
      );
      let undrain: (() => void) | undefined;
      try {
        await effects.load(move.to, move.modelId, signal);
        undrain = this.#options.drain(move.from, move.modelId);
        await effects.unload(move.from, move.modelId, signal);
        moved++;
      } catch (error) {
        this.#options.onError(`defrag move of ${move.modelId} from ${move.from} to ${move.to} failed`, error);
      } finally {
        undrain?.();
      }
    }
    return moved;
  }
}
