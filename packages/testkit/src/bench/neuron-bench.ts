import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Pool } from "undici";
import { fixtureModel, type FixtureModelOptions } from "../fixture-models.js";
import { modelDir } from "../model-dir.js";
import { spawnNeuron } from "../spawn-neuron.js";
import { BareLlama } from "./bare-llama.js";
import { benchPrompt } from "./bench-prompts.js";
import type { NeuronBenchOptions } from "./bench-options.js";
import type { Deadline } from "./deadline.js";
import { aggregateRate, decodeRate, ttftMs, type StreamSample } from "./stream-sample.js";
import { streamChat } from "./stream-chat.js";

export const NEURON_BENCH_MODEL: FixtureModelOptions = { arch: "llama", size: "small", quant: "f16" };
const MODEL_ID = "bench-small";
const REQUEST_TIMEOUT_MS = 120_000;

export type EnginePath = "bare" | "neuron";

export interface StreamStats {
  ttftMs: number;
  decodeTokPerS: number;
  tokens: number;
}

export interface NeuronTrial {
  path: EnginePath;
  round: number;
  concurrency: number;
  aggregateTokPerS: number;
  streams: StreamStats[];
}

export interface NeuronBenchResult {
  kind: "neuron";
  options: NeuronBenchOptions;
  model: { file: string; bytes: number };
  trials: NeuronTrial[];
  /** Single-stream trials whose bare and neuron texts were identical (greedy, same prompt). */
  sameText: { same: number; compared: number };
  skipped: readonly string[];
}

type Runner = (prompt: string) => Promise<StreamSample>;

/** Bare node-llama-cpp in this process against a neuron process, A/B per (round, concurrency). */
export async function runNeuronBench(
  options: NeuronBenchOptions,
  deadline: Deadline,
  log: (line: string) => void,
): Promise<NeuronBenchResult> {
  const maxConcurrency = Math.max(...options.concurrency);
  log("neuron bench: preparing the small model (generated once into .cache/models)");
  const modelPath = await fixtureModel(NEURON_BENCH_MODEL);
  const models = await modelDir({ [MODEL_ID]: NEURON_BENCH_MODEL });
  const configDir = await mkdtemp(join(tmpdir(), "cortex-bench-neuron-"));
  const configPath = join(configDir, "neuron.toml");
  await writeFile(
    configPath,
    [
      `threads = ${options.threads}`,
      // Bare node-llama-cpp runs one thread count for both phases; so does the neuron here.
      `batch_threads = ${options.threads}`,
      `parallel = ${maxConcurrency}`,
      `context_size = ${options.contextSize}`,
      `queue_limit = ${maxConcurrency * 4}`,
      `gpu = "cpu"`,
      "",
    ].join("\n"),
  );
  const neuron = await spawnNeuron({ modelsDir: models, config: configPath });
  const pool = new Pool(neuron.url, { connections: maxConcurrency, pipelining: 1 });
  let bare: BareLlama | undefined;
  try {
    bare = await BareLlama.open({
      modelPath,
      threads: options.threads,
      sequences: maxConcurrency,
      contextSize: options.contextSize,
    });
    const engine = bare;
    const runners: Record<EnginePath, Runner> = {
      bare: (prompt) => engine.stream(prompt, options.maxTokens),
      neuron: (prompt) =>
        streamChat(pool, {
          model: MODEL_ID,
          prompt,
          maxTokens: options.maxTokens,
          timeoutMs: REQUEST_TIMEOUT_MS,
        }),
    };
    log(`neuron bench: warming up (neuron at ${neuron.url} loads the model on first use)`);
    for (const path of ["bare", "neuron"] as const) {
      await runTrial(runners[path], 10_000, 1);
      await runTrial(runners[path], 10_001, maxConcurrency);
    }
    const trials: NeuronTrial[] = [];
    let same = 0;
    let compared = 0;
    for (let round = 0; round < options.rounds; round++) {
      if (!deadline.allows(`neuron bench rounds ${round + 1}..${options.rounds}`)) break;
      for (const [levelIndex, concurrency] of options.concurrency.entries()) {
        const trialId = round * 100 + levelIndex;
        // A/B then B/A: neither path always runs on the warmer (or more disturbed) machine.
        const order: EnginePath[] = (round + levelIndex) % 2 === 0 ? ["bare", "neuron"] : ["neuron", "bare"];
        const texts: Partial<Record<EnginePath, string>> = {};
        for (const path of order) {
          const samples = await runTrial(runners[path], trialId, concurrency);
          trials.push(toTrial(path, round, concurrency, samples));
          texts[path] = samples[0]?.text;
        }
        if (concurrency === 1) {
          compared++;
          if (texts.bare !== undefined && texts.bare === texts.neuron) same++;
        }
        const last = trials.slice(-2);
        log(
          `  round ${round + 1}/${options.rounds} c=${concurrency}: ` +
            last.map((trial) => `${trial.path} ${trial.aggregateTokPerS.toFixed(1)} tok/s`).join(", "),
        );
      }
    }
    return {
      kind: "neuron",
      options,
      model: { file: basename(modelPath), bytes: (await stat(modelPath)).size },
      trials,
      sameText: { same, compared },
      skipped: deadline.skipped,
    };
  } finally {
    await pool.close();
    await neuron.stop();
    await bare?.close();
    await rm(configDir, { recursive: true, force: true });
    await rm(models, { recursive: true, force: true });
  }
}

function runTrial(run: Runner, trialId: number, concurrency: number): Promise<StreamSample[]> {
  return Promise.all(Array.from({ length: concurrency }, (_, stream) => run(benchPrompt(trialId, stream))));
}

function toTrial(path: EnginePath, round: number, concurrency: number, samples: StreamSample[]): NeuronTrial {
  return {
    path,
    round,
    concurrency,
    aggregateTokPerS: aggregateRate(samples),
    streams: samples.map((sample) => ({
      ttftMs: ttftMs(sample),
      decodeTokPerS: decodeRate(sample),
      tokens: sample.tokens,
    })),
  };
}
