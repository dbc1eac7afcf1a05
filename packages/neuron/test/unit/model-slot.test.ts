import { CortexError, type ModelState } from "@cortex/core";
import { describe, expect, it } from "vitest";
import type { EngineModel } from "../../src/engine/engine.js";
import { ModelSlot, type SlotLoader } from "../../src/models/model-slot.js";
import { SLOT_TRANSITIONS } from "../../src/models/model-slot-state.js";
import { deferred, type Deferred } from "./support/deferred.js";

/** A loader whose loads the test settles by hand; it honours the load signal like the real one. */
class ScriptedLoader implements SlotLoader {
  readonly loads: { done: Deferred<EngineModel>; signal: AbortSignal }[] = [];
  releasedCount = 0;
  /** When false, a load keeps going after its signal aborts (weights still arriving). */
  honourAbort = true;
  readonly #started: Deferred<void>[] = [];

  load(signal: AbortSignal): Promise<EngineModel> {
    const done = deferred<EngineModel>();
    if (this.honourAbort) signal.addEventListener("abort", () => done.reject(signal.reason), { once: true });
    this.loads.push({ done, signal });
    this.#startedAt(this.loads.length - 1).resolve();
    return done.promise;
  }

  /** Resolves once the n-th load (0-based) has started. */
  async started(index: number): Promise<Deferred<EngineModel>> {
    await this.#startedAt(index).promise;
    return this.load$(index);
  }

  #startedAt(index: number): Deferred<void> {
    while (this.#started.length <= index) this.#started.push(deferred<void>());
    return this.#started[index] as Deferred<void>;
  }

  released(): void {
    this.releasedCount++;
  }

  /** Settles the n-th load (0-based). */
  load$(index: number): Deferred<EngineModel> {
    const load = this.loads[index];
    if (!load) throw new Error(`no load #${index} started`);
    return load.done;
  }
}

/** Stands in for an engine model; only disposal matters to the slot. */
function recordingModel(log: string[], name = "model"): EngineModel {
  const unused = (): never => {
    throw new Error("not used by slot tests");
  };
  return {
    contextSize: 4096,
    memoryUsage: 1,
    queued: 0,
    chat: unused,
    complete: unused,
    embed: unused,
    tokenize: unused,
    tokenizeChat: unused,
    dispose: async () => {
      log.push(`disposed ${name}`);
    },
  };
}

function newSlot(loader: ScriptedLoader): { slot: ModelSlot; states: ModelState[] } {
  const states: ModelState[] = ["unloaded"];
  const slot = new ModelSlot("m", loader, { now: () => 0, onChange: (state) => states.push(state) });
  return { slot, states };
}

function expectLegalPath(states: readonly ModelState[]): void {
  for (let i = 1; i < states.length; i++) {
    const from = states[i - 1] as ModelState;
    expect(SLOT_TRANSITIONS[from], `${from} → ${states[i]}`).toContain(states[i]);
  }
}

const never = new AbortController().signal;

describe("ModelSlot", () => {
  it("serves concurrent acquires from one load", async () => {
    const loader = new ScriptedLoader();
    const { slot, states } = newSlot(loader);
    const leases = Promise.all([slot.acquire(never), slot.acquire(never), slot.acquire(never)]);
    expect(slot.state).toBe("loading");
    const model = recordingModel([]);
    loader.load$(0).resolve(model);
    const [a, b, c] = await leases;
    expect(loader.loads).toHaveLength(1);
    expect([a.model, b.model, c.model]).toEqual([model, model, model]);
    expect(slot.inFlight).toBe(3);
    expect(slot.state).toBe("loaded");
    expectLegalPath(states);
  });

  it("unload waits for in-flight leases before disposing", async () => {
    const loader = new ScriptedLoader();
    const { slot, states } = newSlot(loader);
    const log: string[] = [];
    const acquiring = slot.acquire(never);
    loader.load$(0).resolve(recordingModel(log));
    const lease = await acquiring;

    const unloading = slot.unload();
    expect(slot.state).toBe("unloading");
    expect(lease.signal.aborted).toBe(false);
    log.push("released");
    lease.release();
    await unloading;

    expect(log).toEqual(["released", "disposed model"]);
    expect(slot.state).toBe("unloaded");
    expect(loader.releasedCount).toBe(1);
    expectLegalPath(states);
  });

  it("force unload aborts the leases, then disposes only after they release", async () => {
    const loader = new ScriptedLoader();
    const { slot, states } = newSlot(loader);
    const log: string[] = [];
    const acquiring = Promise.all([slot.acquire(never), slot.acquire(never)]);
    loader.load$(0).resolve(recordingModel(log));
    const leases = await acquiring;
    for (const [index, lease] of leases.entries()) {
      lease.signal.addEventListener("abort", () => {
        log.push(`aborted ${index}`);
        // A generation winds down asynchronously after its signal fires.
        void Promise.resolve().then(() => {
          log.push(`released ${index}`);
          lease.release();
        });
      });
    }

    await slot.unload({ force: true });

    expect(log).toEqual(["aborted 0", "aborted 1", "released 0", "released 1", "disposed model"]);
    const reason: unknown = leases[0]?.signal.reason;
    expect(reason).toBeInstanceOf(CortexError);
    expect((reason as CortexError).code).toBe("request_aborted");
    expect(loader.releasedCount).toBe(1);
    expectLegalPath(states);
  });

  it("an acquire during unloading waits, then loads the model again", async () => {
    const loader = new ScriptedLoader();
    const { slot, states } = newSlot(loader);
    const log: string[] = [];
    const first = slot.acquire(never);
    loader.load$(0).resolve(recordingModel(log, "first"));
    const lease = await first;
    const unloading = slot.unload();

    const second = slot.acquire(never);
    expect(loader.loads).toHaveLength(1);
    lease.release();
    await unloading;
    // The waiting acquire starts the next load as soon as the slot is unloaded.
    (await loader.started(1)).resolve(recordingModel(log, "second"));
    const again = await second;

    expect(log).toEqual(["disposed first"]);
    expect(again.model).not.toBe(lease.model);
    expect(states).toEqual(["unloaded", "loading", "loaded", "unloading", "unloaded", "loading", "loaded"]);
    expectLegalPath(states);
  });

  it("unload during loading cancels the load and rejects its waiters", async () => {
    const loader = new ScriptedLoader();
    const { slot, states } = newSlot(loader);
    const acquiring = slot.acquire(never);
    const rejected = expect(acquiring).rejects.toMatchObject({ code: "request_aborted" });

    await slot.unload();

    await rejected;
    expect(loader.loads[0]?.signal.aborted).toBe(true);
    expect(loader.loads).toHaveLength(1);
    expect(slot.state).toBe("unloaded");
    expect(loader.releasedCount).toBe(1);
    expectLegalPath(states);
  });

  it("a load that completes after its cancellation is disposed and its reservation released", async () => {
    const loader = new ScriptedLoader();
    loader.honourAbort = false;
    const { slot, states } = newSlot(loader);
    const log: string[] = [];
    const acquiring = slot.acquire(never);
    const rejected = expect(acquiring).rejects.toMatchObject({ code: "request_aborted" });

    const unloading = slot.unload();
    loader.load$(0).resolve(recordingModel(log));
    await unloading;

    await rejected;
    expect(log).toEqual(["disposed model"]);
    expect(slot.state).toBe("unloaded");
    expect(loader.releasedCount).toBe(1);
    expectLegalPath(states);
  });

  it("a failed load rejects every waiter with the same error and leaves the slot failed", async () => {
    const loader = new ScriptedLoader();
    const { slot, states } = newSlot(loader);
    const waiters = [slot.acquire(never), slot.acquire(never), slot.acquire(never)];
    const failure = new Error("tensor data is not within the file bounds");
    loader.load$(0).reject(failure);

    const outcomes = await Promise.allSettled(waiters);
    for (const outcome of outcomes) expect(outcome).toEqual({ status: "rejected", reason: failure });
    expect(slot.state).toBe("failed");
    expect(slot.error).toBe(failure.message);
    expect(loader.loads).toHaveLength(1);
    expect(loader.releasedCount).toBe(1);

    // A failed model is retried by the next request, not stuck.
    const retry = slot.acquire(never);
    expect(slot.state).toBe("loading");
    loader.load$(1).resolve(recordingModel([]));
    await retry;
    expect(slot.state).toBe("loaded");
    expect(slot.error).toBeNull();
    expectLegalPath(states);
  });

  it("an insufficient_memory refusal leaves the slot unloaded, not failed", async () => {
    const loader = new ScriptedLoader();
    const { slot, states } = newSlot(loader);
    const acquiring = slot.acquire(never);
    const refusal = new CortexError("insufficient_memory", "needs 8 GiB, 2 GiB free");
    loader.load$(0).reject(refusal);

    await expect(acquiring).rejects.toBe(refusal);
    expect(slot.state).toBe("unloaded");
    expect(loader.releasedCount).toBe(1);
    expectLegalPath(states);
  });

  it("a waiter that gives up does not cancel the load for the others", async () => {
    const loader = new ScriptedLoader();
    const { slot, states } = newSlot(loader);
    const impatient = new AbortController();
    const gaveUp = slot.acquire(impatient.signal);
    const patient = slot.acquire(never);
    impatient.abort(new CortexError("request_aborted", "client went away"));

    await expect(gaveUp).rejects.toMatchObject({ code: "request_aborted" });
    expect(loader.loads[0]?.signal.aborted).toBe(false);
    loader.load$(0).resolve(recordingModel([]));
    expect((await patient).model).toBeDefined();
    expect(slot.inFlight).toBe(1);
    expectLegalPath(states);
  });

  it("a request's own abort reaches its lease signal and a double release is harmless", async () => {
    const loader = new ScriptedLoader();
    const { slot } = newSlot(loader);
    const request = new AbortController();
    const acquiring = slot.acquire(request.signal);
    loader.load$(0).resolve(recordingModel([]));
    const lease = await acquiring;
    request.abort(new Error("client closed"));
    expect(lease.signal.aborted).toBe(true);
    lease.release();
    lease.release();
    expect(slot.inFlight).toBe(0);
  });
});
