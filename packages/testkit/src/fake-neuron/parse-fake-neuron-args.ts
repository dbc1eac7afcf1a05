import { parseArgs } from "node:util";
import { parseByteSize } from "@cortex/core";
import { parseFakeNodeKnobs } from "@cortex/neuron/fake";
import type { FakeModelSpec, FakeNeuronOptions } from "./fake-neuron.js";

export const FAKE_NEURON_USAGE = `usage: fake-neuron-main [--name NAME] [--memory BYTES] [--models id:bytes[:loaded],...]
                        [--token TOKEN] [--port PORT] [--knobs JSON]
Each flag may come from the environment instead: FAKE_NEURON_NAME, FAKE_NEURON_MEMORY, FAKE_NEURON_MODELS,
FAKE_NEURON_TOKEN, FAKE_NEURON_PORT, FAKE_NEURON_KNOBS. Sizes take units ("64MiB").`;

/** Flags win over the environment. Throws an Error whose message is one line fit to print. */
export function parseFakeNeuronArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): FakeNeuronOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      name: { type: "string" },
      memory: { type: "string" },
      models: { type: "string" },
      token: { type: "string" },
      port: { type: "string" },
      knobs: { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  const name = values.name ?? env["FAKE_NEURON_NAME"] ?? "fake";
  const memory = values.memory ?? env["FAKE_NEURON_MEMORY"] ?? "1GiB";
  const models = values.models ?? env["FAKE_NEURON_MODELS"] ?? "";
  const token = values.token ?? env["FAKE_NEURON_TOKEN"];
  const port = values.port ?? env["FAKE_NEURON_PORT"];
  const knobs = values.knobs ?? env["FAKE_NEURON_KNOBS"];
  return {
    name,
    memoryTotal: withContext("--memory", () => parseByteSize(memory)),
    models: models
      .split(",")
      .filter((item) => item.trim() !== "")
      .map((item) => withContext("--models", () => parseModelSpec(item.trim()))),
    ...(token === undefined || token === "" ? {} : { token }),
    ...(port === undefined ? {} : { port: withContext("--port", () => parsePort(port)) }),
    ...(knobs === undefined
      ? {}
      : { knobs: withContext("--knobs", () => parseFakeNodeKnobs(JSON.parse(knobs))) }),
  };
}

/** `id:bytes[:loaded]`, read from the right so ids with colons (`qwen3:0.6b:64MiB`) survive. */
export function parseModelSpec(text: string): FakeModelSpec {
  const parts = text.split(":");
  const loaded = parts.at(-1) === "loaded";
  if (loaded) parts.pop();
  const size = parts.pop();
  const id = parts.join(":");
  if (id === "" || size === undefined) throw new Error(`${JSON.stringify(text)} is not id:bytes[:loaded]`);
  return { id, memory: parseByteSize(size), ...(loaded ? { loaded } : {}) };
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid port ${JSON.stringify(text)}`);
  return port;
}

function withContext<T>(flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new Error(`${flag}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
