import type { ModelOnNode } from "./fleet-snapshot.js";

/**
 * A model that may leave its node (evicted or moved) without hurting anyone: loaded, idle (nothing in
 * flight, nothing waiting for it on the node or in the gateway's queue), not pinned.
 * Loading, converting and unloading models hold memory but are mid-transition, so they stay. A model of
 * unknown size is kept too: removing it cannot be shown to make room.
 */
export function isCold(model: ModelOnNode): boolean {
  return (
    model.state === "loaded" &&
    !model.pinned &&
    model.inFlight === 0 &&
    model.queued === 0 &&
    model.waiting === 0 &&
    model.memoryEstimate !== null
  );
}

/** The bytes a cold model gives back when it leaves. */
export function coldSize(model: ModelOnNode): number {
  return model.memoryEstimate ?? 0;
}
