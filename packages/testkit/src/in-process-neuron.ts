import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseNeuronConfig } from "@cortex/core";
import { startNeuron, type RunningNeuron } from "@cortex/neuron";
import { FakeEngine, writeFakeModelFile, type FakeModelKnobsInput } from "@cortex/neuron/fake";
import { pino } from "pino";

export interface InProcessNeuron {
  readonly url: string;
  readonly neuron: RunningNeuron;
  close(): Promise<void>;
}

/**
 * The real neuron app (routes, decoders, model manager, scheduler of sequences) on the fault-injection
 * engine, in this process and on a loopback port: fast enough for property tests that send thousands of
 * requests, real enough that what reaches it is what a real neuron would get. Each model is a fake model
 * file with these knobs; `config` adds neuron.toml lines.
 */
export async function startInProcessNeuron(options: {
  models: Record<string, Omit<FakeModelKnobsInput, "fake">>;
  config?: string;
}): Promise<InProcessNeuron> {
  const dir = await mkdtemp(join(tmpdir(), "cortex-fake-models-"));
  for (const [id, knobs] of Object.entries(options.models))
    await writeFakeModelFile(join(dir, `${id}.gguf`), knobs);
  const toml = [`listen = "127.0.0.1:0"`, `models_dir = ${JSON.stringify(dir)}`, options.config ?? ""].join(
    "\n",
  );
  const neuron = await startNeuron({
    config: parseNeuronConfig(toml, "neuron.toml", dir),
    logger: pino({ level: "silent" }),
    engine: new FakeEngine(),
    shutdownGraceMs: 1000,
  });
  return {
    url: neuron.url,
    neuron,
    close: async () => {
      await neuron.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
