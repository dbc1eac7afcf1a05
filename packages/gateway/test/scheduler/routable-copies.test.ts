import type { NeuronModel } from "@cortex/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Cancellation } from "../../src/cancellation.js";
import { routeCandidates } from "../../src/routing/route-candidates.js";
import type { NodeReport } from "../../src/routing/to-node-snapshot.js";
import type { ModelPlacementProfile } from "../../src/runtime/gateway-runtime.js";
import { Router, type Route, type SchedulerConfig } from "../../src/scheduler/router.js";

const NODES = ["a", "b", "c"] as const;
const MODELS = ["m", "o"] as const;

const modelReport = fc.record({
  state: fc.constantFrom("loaded" as const, "loaded" as const, "unloaded" as const, "loading" as const),
  inFlight: fc.integer({ min: 0, max: 4 }),
  queued: fc.integer({ min: 0, max: 2 }),
  sequences: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
});

const nodeReport = fc.record({
  state: fc.constantFrom("up" as const, "up" as const, "degraded" as const, "down" as const),
  models: fc.tuple(modelReport, modelReport),
  /** When the poll was answered (ms before now) and sent (ms before that; negative: a bad order). */
  seenAgo: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }),
  sentBefore: fc.option(fc.integer({ min: -20, max: 300 }), { nil: undefined }),
});

const operation = fc.oneof(
  fc.record({ kind: fc.constant("poll" as const), nodes: fc.tuple(nodeReport, nodeReport, nodeReport) }),
  fc.record({ kind: fc.constant("route" as const), model: fc.constantFrom(...MODELS) }),
  fc.record({ kind: fc.constant("release" as const), index: fc.nat() }),
  // Mostly forward; now and then the clock steps back.
  fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: -50, max: 400 }) }),
  fc.record({
    kind: fc.constant("drain" as const),
    node: fc.constantFrom(...NODES),
    model: fc.constantFrom(...MODELS),
  }),
  fc.record({ kind: fc.constant("undrain" as const), index: fc.nat() }),
  fc.record({
    kind: fc.constant("reload" as const),
    allowed: fc.option(fc.subarray([...NODES]), { nil: undefined }),
    preferred: fc.option(fc.subarray([...NODES], { minLength: 1 }), { nil: undefined }),
  }),
);

interface ModelSpec {
  state: NeuronModel["state"];
  inFlight: number;
  queued: number;
  sequences?: number | undefined;
}

function neuronModel(id: string, given: ModelSpec): NeuronModel {
  return {
    id,
    source: "gguf",
    architecture: "llama",
    quantization: "F16",
    file_size: 1,
    parameters: 1,
    train_context_length: 4096,
    context_length: 4096,
    memory_estimate: 1,
    state: given.state,
    progress: null,
    last_used: null,
    in_flight: given.inFlight,
    queued: given.queued,
    error: null,
    ...(given.sequences === undefined ? {} : { sequences: given.sequences }),
  };
}

function configWith(profile: { allowed?: string[]; preferred?: string[] }): SchedulerConfig {
  return {
    profileOf: (): ModelPlacementProfile => ({
      pinned: false,
      priority: 0,
      replicas: { min: 1, max: 1 },
      idleUnloadMs: 0,
      ...(profile.allowed ? { allowedNodes: profile.allowed } : {}),
      ...(profile.preferred ? { preferredNodes: profile.preferred } : {}),
    }),
    scheduler: {
      strategy: "lru",
      defragAfterCycles: 0,
      queueLimit: 64,
      loadTimeoutMs: 60_000,
      extraHeadroom: 0,
      routing: "prefix",
      replicaAfterMs: 2000,
      replicaIdleMs: 300_000,
      swapQuantumMs: 30_000,
      upkeepIntervalMs: 100,
    },
  };
}

describe("Router: the copies it routes to", () => {
  it("are always what routing on a fresh fleet snapshot would see, as leases, polls, drains, reloads and the clock change", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 40 }), async (operations) => {
        let now = 1_000_000;
        let reports: readonly NodeReport[] = [];
        let config = configWith({});
        const router = new Router({
          reports: () => reports,
          config: () => config,
          pins: { version: 0, pinned: () => undefined },
          // A request waiting for a model no copy of which it may use waits until the run ends.
          coldLoads: () => ({
            ensure: (_model, context) =>
              new Promise((_, reject) => {
                context.cancel.signal.addEventListener("abort", () => reject(new Error("over")));
              }),
          }),
          decide: () => undefined,
          now: () => now,
        });
        const leases: Route[] = [];
        const waiting: Cancellation[] = [];
        const undrains: (() => void)[] = [];
        const check = () => {
          for (const modelId of MODELS) {
            for (const exclude of [undefined, new Set(["b"])]) {
              const { allowedNodes, preferredNodes } = config.profileOf(modelId);
              const expected = routeCandidates(router.snapshot(exclude, modelId), {
                modelId,
                prefix: null,
                ...(allowedNodes ? { allowedNodes } : {}),
                ...(preferredNodes ? { preferredNodes } : {}),
              });
              expect(router.candidates(modelId, exclude)).toEqual(expected);
            }
          }
        };
        try {
          for (const op of operations) {
            switch (op.kind) {
              case "poll":
                reports = op.nodes.map((node, index) => {
                  const lastSeen = node.seenAgo === undefined ? undefined : now - node.seenAgo;
                  return {
                    name: NODES[index] as string,
                    state: node.state,
                    info: { memory: { total: 100, used: 0, free: 100, headroom: 0, source: "budget" } },
                    models:
                      node.state === "down"
                        ? []
                        : node.models.map((spec, at) => neuronModel(MODELS[at] as string, spec)),
                    ...(lastSeen === undefined ? {} : { lastSeen }),
                    ...(lastSeen === undefined || node.sentBefore === undefined
                      ? {}
                      : { polledAt: lastSeen - node.sentBefore }),
                  };
                });
                break;
              case "route":
                if (router.candidates(op.model).length > 0) {
                  const cancel = new Cancellation();
                  waiting.push(cancel);
                  router.route(op.model, { requestId: "r", cancel }).then(
                    (route) => leases.push(route),
                    () => undefined,
                  );
                }
                break;
              case "release":
                if (leases.length > 0) leases.splice(op.index % leases.length, 1)[0]?.release();
                break;
              case "tick":
                now += op.ms;
                break;
              case "drain":
                undrains.push(router.drain(op.node, op.model));
                break;
              case "undrain":
                if (undrains.length > 0) undrains.splice(op.index % undrains.length, 1)[0]?.();
                break;
              case "reload":
                config = configWith({
                  ...(op.allowed ? { allowed: op.allowed } : {}),
                  ...(op.preferred ? { preferred: op.preferred } : {}),
                });
                break;
            }
            await new Promise((resolve) => setImmediate(resolve));
            check();
          }
        } finally {
          for (const cancel of waiting) cancel.abort(new Error("run over"));
          for (const lease of leases) lease.release();
        }
      }),
      { numRuns: 200 },
    );
  });
});
