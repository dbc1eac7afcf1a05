import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseNeuronConfig } from "@cortex/core";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { FakeEngine, writeFakeModelFile } from "../../src/engine/fake/index.js";
import { startNeuron, type RunningNeuron } from "../../src/index.js";

const running: { neuron: RunningNeuron; dir: string }[] = [];
afterEach(async () => {
  for (const { neuron, dir } of running.splice(0)) {
    await neuron.close();
    await rm(dir, { recursive: true, force: true });
  }
});

async function neuronWith(testHooks: boolean): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cortex-hooks-"));
  await writeFakeModelFile(join(dir, "m.gguf"), {});
  const neuron = await startNeuron({
    config: parseNeuronConfig(
      `listen = "127.0.0.1:0"\nmodels_dir = ${JSON.stringify(dir)}`,
      "neuron.toml",
      dir,
    ),
    logger: pino({ level: "silent" }),
    engine: new FakeEngine(),
    testHooks,
    forceToolCallDefault: "*",
  });
  running.push({ neuron, dir });
  return neuron.url;
}

async function finishReason(url: string): Promise<string | undefined> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "m",
      max_tokens: 8,
      messages: [{ role: "user", content: "hi" }],
      tools: [
        { type: "function", function: { name: "get", parameters: { type: "object", properties: {} } } },
      ],
    }),
  });
  const body = (await response.json()) as { choices: { finish_reason?: string }[] };
  return body.choices[0]?.finish_reason;
}

describe("test-only steering", () => {
  it("forces a tool call only when the neuron runs with test hooks (found in review: it did without)", async () => {
    expect(await finishReason(await neuronWith(true))).toBe("tool_calls");
    expect(await finishReason(await neuronWith(false))).not.toBe("tool_calls");
  });
});
