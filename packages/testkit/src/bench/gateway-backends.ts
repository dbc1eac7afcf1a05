import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnFakeNeuron } from "../fake-neuron/spawn-fake-neuron.js";
import type { FixtureModelOptions } from "../fixture-models.js";
import { modelDir } from "../model-dir.js";
import { spawnNeuron } from "../spawn-neuron.js";

export type BackendKind = "fake" | "neuron";

export const GATEWAY_BENCH_MODEL_ID = "bench-tiny";
export const GATEWAY_BENCH_MODEL: FixtureModelOptions = { arch: "llama", size: "tiny", quant: "f16" };

export interface Backend {
  kind: BackendKind;
  url: string;
  pid: number | undefined;
  stop: () => Promise<void>;
}

/** The fake neuron (answers at once) or a real neuron with the tiny model, each in its own process. */
export async function startBackend(kind: BackendKind, parallel: number): Promise<Backend> {
  if (kind === "fake") {
    const fake = await spawnFakeNeuron({
      name: "bench",
      memoryTotal: 1024 ** 3,
      models: [{ id: GATEWAY_BENCH_MODEL_ID, memory: 1024 ** 2, loaded: true }],
    });
    return { kind, url: fake.url, pid: fake.child.pid, stop: async () => void (await fake.stop()) };
  }
  const models = await modelDir({ [GATEWAY_BENCH_MODEL_ID]: GATEWAY_BENCH_MODEL });
  const config = join(await mkdtemp(join(tmpdir(), "cortex-bench-neuron-")), "neuron.toml");
  await writeFile(
    config,
    [
      `threads = 1`,
      `parallel = ${parallel}`,
      `context_size = 512`,
      `queue_limit = 1024`,
      `gpu = "cpu"`,
      "",
    ].join("\n"),
  );
  const neuron = await spawnNeuron({ modelsDir: models, config });
  return {
    kind,
    url: neuron.url,
    pid: neuron.child.pid,
    stop: async () => {
      await neuron.stop();
      await rm(models, { recursive: true, force: true });
      await rm(join(config, ".."), { recursive: true, force: true });
    },
  };
}
