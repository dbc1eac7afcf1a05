import { describe, expect, it } from "vitest";
import { parseFakeNeuronArgs, parseModelSpec } from "../src/fake-neuron/parse-fake-neuron-args.js";

describe("parseFakeNeuronArgs", () => {
  it("reads flags, with units, ids with colons and the loaded marker", () => {
    const options = parseFakeNeuronArgs(
      [
        "--name",
        "n1",
        "--memory",
        "64MiB",
        "--models",
        "a:1MiB:loaded, qwen3:0.6b:2000",
        "--knobs",
        '{"tokenDelayMs":5}',
      ],
      {},
    );
    expect(options).toEqual({
      name: "n1",
      memoryTotal: 64 * 1024 * 1024,
      models: [
        { id: "a", memory: 1024 * 1024, loaded: true },
        { id: "qwen3:0.6b", memory: 2000 },
      ],
      knobs: { tokenDelayMs: 5 },
    });
  });

  it("falls back to the environment, flags winning", () => {
    const options = parseFakeNeuronArgs(["--name", "flag"], {
      FAKE_NEURON_NAME: "env",
      FAKE_NEURON_MEMORY: "1000",
      FAKE_NEURON_MODELS: "m:10",
      FAKE_NEURON_TOKEN: "t",
      FAKE_NEURON_PORT: "4321",
    });
    expect(options).toEqual({
      name: "flag",
      memoryTotal: 1000,
      models: [{ id: "m", memory: 10 }],
      token: "t",
      port: 4321,
    });
  });

  it("names the flag that is wrong", () => {
    expect(() => parseFakeNeuronArgs(["--memory", "lots"], {})).toThrow(
      /^--memory: invalid byte size "lots"/,
    );
    expect(() => parseFakeNeuronArgs(["--knobs", '{"stallAfter":1}'], {})).toThrow(
      /^--knobs: unknown knob stallAfter/,
    );
    expect(() => parseModelSpec("nobytes")).toThrow(/is not id:bytes/);
  });
});
