import type { NeuronModel } from "@cortex/core";
import { describe, expect, it } from "vitest";
import { toNodeSnapshot, type ModelPolicy } from "../../src/routing/to-node-snapshot.js";

const neuronModel = (id: string, overrides: Partial<NeuronModel> = {}): NeuronModel => ({
  id,
  source: "gguf",
  architecture: "llama",
  quantization: "Q8_0",
  file_size: 100,
  parameters: 1000,
  train_context_length: 4096,
  context_length: 2048,
  memory_estimate: 300,
  state: "loaded",
  progress: null,
  last_used: 1234,
  in_flight: 2,
  queued: 1,
  error: null,
  ...overrides,
});

const memory = { total: 1000, used: 600, free: 400, headroom: 50, source: "budget" as const };

describe("toNodeSnapshot", () => {
  const policies: Record<string, ModelPolicy> = {
    pinned: { pinned: true, priority: 7 },
    elsewhere: { pinned: false, priority: 0, allowedNodes: ["other"] },
    here: { pinned: false, priority: 1, allowedNodes: ["beast"] },
  };
  const policyOf = (id: string): ModelPolicy => policies[id] ?? { pinned: false, priority: 0 };

  it("joins the node's report with the gateway's profiles", () => {
    const snapshot = toNodeSnapshot(
      {
        name: "beast",
        state: "up",
        info: { memory },
        models: [neuronModel("pinned"), neuronModel("elsewhere", { state: "unloaded" }), neuronModel("here")],
      },
      policyOf,
    );
    expect(snapshot).toEqual({
      name: "beast",
      state: "up",
      memory: { total: 1000, used: 600, free: 400, headroom: 50 },
      models: [
        {
          id: "pinned",
          state: "loaded",
          memoryEstimate: 300,
          lastUsed: 1234,
          inFlight: 2,
          queued: 1,
          waiting: 0,
          surplus: false,
          pinned: true,
          priority: 7,
          allowed: true,
          slots: null,
          prefixes: null,
          prefillMsPerToken: null,
        },
        expect.objectContaining({ id: "elsewhere", state: "unloaded", allowed: false }),
        expect.objectContaining({ id: "here", priority: 1, allowed: true }),
      ],
    });
    expect(Object.isFrozen(snapshot)).toBe(true);
    expect(Object.isFrozen(snapshot.models[0])).toBe(true);
  });

  it("reads the model's sequences, prefill speed and the prefixes it holds, freshest copy first", () => {
    const [entry] = toNodeSnapshot(
      {
        name: "beast",
        state: "up",
        info: { memory },
        models: [
          neuronModel("m", {
            sequences: 4,
            prefill_tokens_per_s: 2000,
            prefixes: {
              scheme: "cortex-msg-v1",
              prefixes: [
                { fp: "00000000000000aa", tokens: 8000, where: "sequence" },
                { fp: "00000000000000bb", tokens: 300, where: "disk" },
                { fp: "00000000000000aa", tokens: 7000, where: "ram" },
              ],
            },
          }),
        ],
      },
      policyOf,
    ).models;
    expect(entry).toMatchObject({ slots: 4, prefillMsPerToken: 0.5 });
    expect([...(entry?.prefixes ?? [])]).toEqual([
      ["00000000000000aa", { tokens: 8000, where: "sequence" }],
      ["00000000000000bb", { tokens: 300, where: "disk" }],
    ]);
  });

  it("reports no memory and no models for a node that never answered", () => {
    expect(toNodeSnapshot({ name: "gone", state: "down", info: null, models: [] }, policyOf)).toEqual({
      name: "gone",
      state: "down",
      memory: { total: 0, used: 0, free: 0, headroom: 0 },
      models: [],
    });
  });
});
