import {
  decodeAnthropicRequest,
  decodeOpenAIChatRequest,
  encodeOpenAIChatRequest,
  prefixFingerprints,
  type CanonicalChatRequest,
} from "@cortex/core";
import { claudeCodeSession, fixtureModel } from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineModel } from "../../src/engine/engine.js";
import { sharedPrefixLength } from "../../src/engine/sequence-pool.js";
import { LlamaCppEngine } from "../../src/engine/llama-cpp/llama-cpp-engine.js";

/** What the neuron works on: the gateway's Anthropic decode, sent as OpenAI, decoded again. */
function onTheNeuron(body: unknown): CanonicalChatRequest {
  const gateway = decodeAnthropicRequest(body).value;
  return decodeOpenAIChatRequest(encodeOpenAIChatRequest(gateway)).value;
}

const session = claudeCodeSession();
const requests = {
  turn1: onTheNeuron(session.turn1),
  turn2: onTheNeuron(session.turn2),
  otherFolder: onTheNeuron(session.otherFolder),
};

let engine: LlamaCppEngine;
const models: Record<string, EngineModel> = {};

beforeAll(async () => {
  engine = new LlamaCppEngine({ gpu: "cpu", threads: { decode: 1, batch: 1 }, queueLimit: 1, log: () => {} });
  for (const arch of ["llama", "qwen3"] as const) {
    const path = await fixtureModel({ arch, quant: "f16" });
    models[arch] = await engine.load(path, { contextSize: 8192, sequences: 1, gpuLayers: 0 });
  }
});

afterAll(async () => {
  for (const model of Object.values(models)) await model.dispose();
  await engine?.dispose();
});

describe("Claude Code prompts keep their prefix (docs/decisions.md)", () => {
  it.each(["llama", "qwen3"])(
    "%s: the next turn of a session starts with every token of the last",
    (arch) => {
      const model = models[arch]!;
      const turn1 = model.tokenizeChat(requests.turn1);
      const turn2 = model.tokenizeChat(requests.turn2);
      expect(turn1.length).toBeGreaterThan(3000);
      // The billing header changed and the mid-conversation system turn is still there: nothing moved.
      expect(sharedPrefixLength(turn1, turn2)).toBe(turn1.length);
    },
  );

  it("llama (Llama 3.1 template): sessions in other folders share the whole tool block", () => {
    const model = models["llama"]!;
    const tools = model.tokenizeChat({ messages: [], tools: requests.turn1.tools });
    const shared = sharedPrefixLength(
      model.tokenizeChat(requests.turn1),
      model.tokenizeChat(requests.otherFolder),
    );
    // The tools are documented before the system prompt; the sessions part at the working directory.
    expect(shared).toBeGreaterThan(tools.length - 16);
  });

  it("qwen3 (Qwen template): the system prompt comes before the tools, so other folders share only its start", () => {
    const model = models["qwen3"]!;
    const shared = sharedPrefixLength(
      model.tokenizeChat(requests.turn1),
      model.tokenizeChat(requests.otherFolder),
    );
    expect(shared).toBeLessThan(200);
  });

  it("fingerprints: the gateway's and the neuron's agree, and the next turn extends the last one's chain", () => {
    const atGateway = prefixFingerprints(decodeAnthropicRequest(session.turn1).value);
    expect(prefixFingerprints(requests.turn1)).toEqual(atGateway);
    const next = prefixFingerprints(requests.turn2);
    expect(next.slice(0, atGateway.length)).toEqual(atGateway);
    expect(next.length).toBeGreaterThan(atGateway.length);
    // Another folder: another head, nothing in common.
    expect(prefixFingerprints(requests.otherFolder)[0]).not.toBe(atGateway[0]);
  });
});
