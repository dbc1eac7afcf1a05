import { fixtureModel } from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineModel } from "../../src/engine/engine.js";
import { LlamaCppEngine } from "../../src/engine/llama-cpp/llama-cpp-engine.js";
import type { LlamaCppModel } from "../../src/engine/llama-cpp/llama-cpp-model.js";
import { chatRequest, userMessage } from "../unit/support/chat-request.js";

let engine: LlamaCppEngine;
let model: EngineModel;

beforeAll(async () => {
  engine = new LlamaCppEngine({
    gpu: "cpu",
    threads: { decode: 1, batch: 2 },
    queueLimit: 4,
    log: () => {},
  });
  const path = await fixtureModel({ arch: "llama", quant: "f16" });
  model = await engine.load(path, { contextSize: 2048, sequences: 2, gpuLayers: 0 });
});

afterAll(async () => {
  await model?.dispose();
  await engine?.dispose();
});

describe("per-phase threads (node-llama-cpp internals, pinned 3.21.1)", () => {
  it("evaluates prompts at batch_threads and decodes at threads, as llama.cpp reports them", async () => {
    const stats = () => (model as LlamaCppModel).phaseThreads;
    expect(stats()).toMatchObject({ promptBatches: 0, decodeBatches: 0 });
    await model.chat(
      chatRequest({ messages: [userMessage("count the sheep and the goats ".repeat(60))], maxTokens: 6 }),
      {
        signal: new AbortController().signal,
        onEvent: () => {},
      },
    );
    // If node-llama-cpp stops calling initBatch/setThreads per batch, nothing is counted and this fails.
    expect(stats().promptBatches).toBeGreaterThan(0);
    expect(stats().decodeBatches).toBeGreaterThan(0);
    expect(stats().lastPromptThreads).toBe(2);
    expect(stats().lastDecodeThreads).toBe(1);
  });
});
