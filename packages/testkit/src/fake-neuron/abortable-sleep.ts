import { abortableDelay, untilAborted } from "@cortex/neuron/fake";

/** The fake neuron waits the way the fake engine does: one implementation for both fakes. */
export { abortableDelay as abortableSleep, untilAborted };

/** Awaits `done` unless the signal aborts first (the waiter gives up; `done` carries on). */
export function raceAbort<T>(done: Promise<T>, signal: AbortSignal): Promise<T> {
  return Promise.race([done, untilAborted(signal)]);
}
