import type { ModelState } from "@cortex/core";

/** Which lifecycle moves are legal. The slot asserts every transition against this table. */
export const SLOT_TRANSITIONS: Readonly<Record<ModelState, readonly ModelState[]>> = {
  unloaded: ["loading", "converting"],
  converting: ["loading", "failed", "unloaded"],
  loading: ["loaded", "failed", "unloaded"],
  loaded: ["unloading"],
  unloading: ["unloaded"],
  failed: ["loading", "converting"],
  // A pull's state, never a slot's: the slot exists once the files are in place.
  downloading: [],
};

export function assertTransition(from: ModelState, to: ModelState, model: string): void {
  if (!SLOT_TRANSITIONS[from].includes(to)) {
    throw new Error(`illegal model state transition for ${model}: ${from} → ${to}`);
  }
}
