import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import type { SpawnedProcess } from "@cortex/core";
import { Pool, request } from "undici";
import type { FixtureModelOptions } from "../fixture-models.js";
import { modelDir } from "../model-dir.js";
import { readMetric } from "../read-metric.js";
import { spawnNeuron } from "../spawn-neuron.js";
import type { KvBenchOptions } from "./bench-options.js";
import { chatBody } from "./chat-body.js";
import { processCpuMs } from "./process-cpu.js";
import type { Deadline } from "./deadline.js";
import { streamChat, type ChatMessage } from "./stream-chat.js";
import { decodeRate, ttftMs } from "./stream-sample.js";
import { waitReady } from "./wait-ready.js";

/** The model agents talk to: the tiny Qwen3 demo model, where the issue measured 20k-token prefill. */
export const KV_BENCH_AGENT_MODEL: FixtureModelOptions = { arch: "qwen3", quant: "f16" };
/** The model single-stream decode is measured on (177 MiB, as in the thread measurements). */
export const KV_BENCH_DECODE_MODEL: FixtureModelOptions = { arch: "llama", size: "small", quant: "f16" };
const AGENT = "agent";
const DECODE = "decode";
const REQUEST_TIMEOUT_MS = 600_000;
/** The first "session" number of the thread trials' prompts (fresh ones, which no sequence has seen). */
const THREAD_SESSION = 1000;

/** `off`: no tier; `ram`: the defaults (RAM first, spilled to disk); `disk`: no RAM, every state on disk. */
export type TierMode = "off" | "ram" | "disk";
export const TIER_MODES: readonly TierMode[] = ["off", "ram", "disk"];
export type ThreadMode = "today" | "per-phase";

export interface TurnSample {
  session: number;
  turn: number;
  ttftMs: number;
  promptTokens: number;
  cachedTokens: number;
  completionTokens: number;
  decodeTokPerS: number;
}

export interface TierRun {
  mode: TierMode;
  round: number;
  turns: TurnSample[];
  wallMs: number;
  completionTokens: number;
  /** From the neuron's metrics after the run. */
  restores: { count: number; seconds: number; bytes: number };
  lookups: { hits: number; misses: number };
  /** Prompt tokens llama.cpp evaluated (`cortex_neuron_prompt_tokens_evaluated_total`), all turns. */
  promptTokensEvaluated: number;
  /** What the tier holds at the end of the run (`cortex_neuron_kv_cache_bytes` / `_entries`). */
  tier: { ramBytes: number; diskBytes: number; ramEntries: number; diskEntries: number };
}

export interface ThreadTrial {
  mode: ThreadMode;
  round: number;
  /** Cold prefill of a fresh ~`prefillTokens` prompt: TTFT of a one-token answer. */
  prefillMs: number;
  prefillTokens: number;
  /** CPU time the neuron process spent on the prefill, ms (all threads). */
  prefillCpuMs: number;
  decodeTokPerS: number;
  /**
   * CPU time of the neuron process per generated token, ms: on a machine where other processes keep
   * every core busy, tok/s says more about the scheduler than about the neuron; this does not.
   */
  decodeCpuMsPerToken: number;
}

export interface KvBenchResult {
  kind: "kv";
  options: KvBenchOptions;
  threads: Record<ThreadMode, { threads: number; batchThreads: number }>;
  runs: TierRun[];
  threadTrials: ThreadTrial[];
  skipped: readonly string[];
  /** Phases that failed (the report keeps what the others measured). */
  failures: string[];
}

/**
 * Agent sessions against one neuron with the KV state tier off and on (A/B, order alternating per
 * round), then prompt evaluation and decode with one thread count for both phases (what the neuron did
 * before per-phase threads) against per-phase threads, A/B per round.
 */
export async function runKvBench(
  options: KvBenchOptions,
  deadline: Deadline,
  log: (line: string) => void,
): Promise<KvBenchResult> {
  const cores = availableParallelism();
  const decodeThreads = Math.max(1, cores - 1);
  const threads: KvBenchResult["threads"] = {
    today: { threads: decodeThreads, batchThreads: decodeThreads },
    "per-phase": { threads: decodeThreads, batchThreads: cores },
  };
  log("kv bench: preparing the models (generated once into .cache/models)");
  const models = await modelDir({ [AGENT]: KV_BENCH_AGENT_MODEL, [DECODE]: KV_BENCH_DECODE_MODEL });
  const scratch = await mkdtemp(join(tmpdir(), "cortex-bench-kv-"));
  const runs: TierRun[] = [];
  const threadTrials: ThreadTrial[] = [];
  const failures: string[] = [];
  try {
    const { sessions: sessionPrompts, tokensPerLine } = await buildSessions(options, models, scratch, log);
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? [...TIER_MODES] : [...TIER_MODES].reverse();
      for (const mode of order) {
        if (!deadline.allows(`agent sessions, tier ${mode}, round ${round + 1}`)) continue;
        runs.push(await runSessions(options, mode, round, models, scratch, sessionPrompts, log));
      }
    }
    if (deadline.allows("prefill and decode threads")) {
      const lines = Math.ceil(options.prefillTokens / tokensPerLine);
      try {
        await runThreadTrials(options, threads, lines, models, scratch, deadline, log, threadTrials);
      } catch (error) {
        failures.push(`threads: ${(error as Error).message}`);
        log(`kv bench: the thread trials failed: ${(error as Error).message}`);
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await rm(models, { recursive: true, force: true });
  }
  return { kind: "kv", options, threads, runs, threadTrials, skipped: deadline.skipped, failures };
}

interface NeuronHandle {
  process: SpawnedProcess;
  pool: Pool;
  close(): Promise<void>;
}

/** `top`: top-level keys; `kv`: keys of `[kv_cache]` (its folder goes under the bench's scratch folder). */
async function startNeuron(
  scratch: string,
  name: string,
  config: { top: string[]; kv?: string[]; tables?: string[] },
  modelsDir: string,
): Promise<NeuronHandle> {
  const dir = join(scratch, name);
  const path = `${dir}.toml`;
  const lines = [...config.top, ...(config.tables ?? []), "[kv_cache]", `dir = "${join(dir, "kv")}"`];
  await writeFile(path, [...lines, ...(config.kv ?? []), ""].join("\n"));
  const process = await spawnNeuron({ modelsDir, config: path });
  const pool = new Pool(process.url, { connections: 16, pipelining: 1 });
  return {
    process,
    pool,
    close: async () => {
      await pool.close();
      await process.stop();
    },
  };
}

/** The tier off: no RAM, no disk. */
const TIER_OFF = [`ram = "0"`, `disk = "0"`];
const TIER_CONFIG: Record<TierMode, string[]> = { off: TIER_OFF, ram: [], disk: [`ram = "0"`] };

// --- agent sessions --------------------------------------------------------------------------------

/** Per session: its own long system prompt (~prefixTokens) and first question. */
interface SessionPrompt {
  system: string;
  firstQuestion: string;
}

/** A project context unique to session `session`, `lines` lines of code-like text. */
function projectContext(session: number, lines: number): string {
  const out = [
    `You are coding agent session ${session}, working in the repository /home/dev/project-${session}.`,
    "Here are the files you have read so far:",
  ];
  for (let line = 0; line < lines; line++) {
    out.push(
      `export function handler${session}x${line}(input: Record<string, number>): number { ` +
        `return (input["key${line}"] ?? ${line * 7 + session}) * ${session + 2}; }`,
    );
  }
  return out.join("\n");
}

/** Sizes the project context so the first prompt is about `prefixTokens` tokens, with the neuron's tokenizer. */
async function buildSessions(
  options: KvBenchOptions,
  modelsDir: string,
  scratch: string,
  log: (line: string) => void,
): Promise<{ sessions: SessionPrompt[]; tokensPerLine: number }> {
  const neuron = await startNeuron(
    scratch,
    "tokenize",
    { top: [`threads = 1`, `context_size = 2048`], kv: TIER_OFF },
    modelsDir,
  );
  try {
    const count = async (system: string): Promise<number> => {
      const response = await request(`${neuron.process.url}/tokenize`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: AGENT,
          messages: [
            { role: "system", content: system },
            { role: "user", content: "Start." },
          ],
        }),
      });
      return ((await response.body.json()) as { count: number }).count;
    };
    const probe = 100;
    const tokensPerLine = async (session: number): Promise<number> =>
      ((await count(projectContext(session, probe))) - (await count(projectContext(session, 0)))) / probe;
    const perLine = await tokensPerLine(0);
    const lines = Math.max(1, Math.round(options.prefixTokens / perLine));
    const sessions = Array.from({ length: options.sessions }, (_, session) => ({
      system: projectContext(session, lines),
      firstQuestion: `Session ${session}: list the handlers that multiply by ${session + 2}.`,
    }));
    log(`kv bench: session prefixes of ${await count(sessions[0]?.system ?? "")} tokens (${lines} lines)`);
    // The thread trials' prompts belong to sessions 1000 and up, whose longer names take more tokens.
    return { sessions, tokensPerLine: await tokensPerLine(THREAD_SESSION) };
  } finally {
    await neuron.close();
  }
}

async function runSessions(
  options: KvBenchOptions,
  mode: TierMode,
  round: number,
  modelsDir: string,
  scratch: string,
  prompts: readonly SessionPrompt[],
  log: (line: string) => void,
): Promise<TierRun> {
  const contextSize = options.prefixTokens + options.turns * (options.maxTokens + 64) + 1024;
  const neuron = await startNeuron(
    scratch,
    `sessions-${mode}-${round}`,
    {
      top: [
        `parallel = ${options.parallel}`,
        `context_size = ${contextSize}`,
        `queue_limit = ${options.sessions * 2}`,
        `gpu = "cpu"`,
      ],
      kv: TIER_CONFIG[mode],
    },
    modelsDir,
  );
  try {
    log(`kv bench: round ${round + 1}, tier ${mode}: loading`);
    await waitReady(neuron.process.url, "/v1/chat/completions", chatBody(AGENT, "hi", 1, false), 300_000);
    const started = performance.now();
    const sessions = prompts.map((prompt, session) => new AgentSession(session, prompt));
    const turns: TurnSample[] = [];
    // Turn by turn, every session at once: a returning turn competes with the other sessions' returning
    // turns for the sequences, not with their first (cold) prompts.
    for (let turn = 1; turn <= options.turns; turn++) {
      turns.push(...(await Promise.all(sessions.map((session) => session.next(options, neuron.pool)))));
    }
    const wallMs = performance.now() - started;
    const metrics = await (await request(`${neuron.process.url}/metrics`)).body.text();
    const run: TierRun = {
      mode,
      round,
      turns,
      wallMs,
      completionTokens: turns.reduce((sum, turn) => sum + turn.completionTokens, 0),
      restores: {
        count: readMetric(metrics, "cortex_neuron_kv_cache_restore_seconds_count"),
        seconds: readMetric(metrics, "cortex_neuron_kv_cache_restore_seconds_sum"),
        bytes: readMetric(metrics, "cortex_neuron_kv_cache_restored_bytes_total"),
      },
      lookups: {
        hits: readMetric(metrics, "cortex_neuron_kv_cache_lookups_total", { result: "hit" }),
        misses: readMetric(metrics, "cortex_neuron_kv_cache_lookups_total", { result: "miss" }),
      },
      promptTokensEvaluated: readMetric(metrics, "cortex_neuron_prompt_tokens_evaluated_total", {
        model: AGENT,
      }),
      tier: {
        ramBytes: readMetric(metrics, "cortex_neuron_kv_cache_bytes", { where: "ram" }),
        diskBytes: readMetric(metrics, "cortex_neuron_kv_cache_bytes", { where: "disk" }),
        ramEntries: readMetric(metrics, "cortex_neuron_kv_cache_entries", { where: "ram" }),
        diskEntries: readMetric(metrics, "cortex_neuron_kv_cache_entries", { where: "disk" }),
      },
    };
    log(
      `  tier ${mode}: ${(wallMs / 1000).toFixed(1)} s, ${run.restores.count} restores, ` +
        `${turns.filter((turn) => turn.turn > 1).length} returning turns`,
    );
    return run;
  } finally {
    await neuron.close();
  }
}

/** One agent session: each turn sends the whole conversation so far plus a short new message. */
class AgentSession {
  readonly #session: number;
  readonly #messages: ChatMessage[];
  #turn = 0;

  constructor(session: number, prompt: SessionPrompt) {
    this.#session = session;
    this.#messages = [
      { role: "system", content: prompt.system },
      { role: "user", content: prompt.firstQuestion },
    ];
  }

  async next(options: KvBenchOptions, pool: Pool): Promise<TurnSample> {
    const turn = ++this.#turn;
    const sample = await streamChat(pool, {
      model: AGENT,
      prompt: this.#messages,
      maxTokens: options.maxTokens,
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    this.#messages.push(
      { role: "assistant", content: sample.text },
      { role: "user", content: `Turn ${turn + 1}: now change handler${this.#session}x${turn} and say why.` },
    );
    return {
      session: this.#session,
      turn,
      ttftMs: ttftMs(sample),
      promptTokens: sample.promptTokens ?? 0,
      cachedTokens: sample.cachedTokens ?? 0,
      completionTokens: sample.tokens,
      decodeTokPerS: decodeRate(sample),
    };
  }
}

// --- threads ---------------------------------------------------------------------------------------

async function runThreadTrials(
  options: KvBenchOptions,
  threads: KvBenchResult["threads"],
  fillerLines: number,
  modelsDir: string,
  scratch: string,
  deadline: Deadline,
  log: (line: string) => void,
  trials: ThreadTrial[],
): Promise<void> {
  const neurons = {} as Record<ThreadMode, NeuronHandle>;
  try {
    for (const mode of ["today", "per-phase"] as const) {
      neurons[mode] = await startNeuron(
        scratch,
        `threads-${mode}`,
        {
          top: [
            `threads = ${threads[mode].threads}`,
            `batch_threads = ${threads[mode].batchThreads}`,
            "parallel = 1",
            `context_size = ${Math.ceil(options.prefillTokens * 1.2) + 2048}`,
            `gpu = "cpu"`,
          ],
          tables: [`[models.${DECODE}]`, "context_size = 2048"],
          // No tier: every prefill here must be a cold one.
          kv: TIER_OFF,
        },
        modelsDir,
      );
      log(
        `kv bench: threads ${mode} (${threads[mode].threads} decode, ${threads[mode].batchThreads} prompt): loading`,
      );
      for (const model of [AGENT, DECODE]) {
        await waitReady(
          neurons[mode].process.url,
          "/v1/chat/completions",
          chatBody(model, "hi", 2, false),
          300_000,
        );
      }
    }
    for (let round = 0; round < options.threadRounds; round++) {
      if (!deadline.allows(`threads round ${round + 1}`)) break;
      const order: ThreadMode[] = round % 2 === 0 ? ["today", "per-phase"] : ["per-phase", "today"];
      for (const mode of order) {
        const { pool, process } = neurons[mode];
        const cpu = (): number => processCpuMs(process.child.pid) ?? Number.NaN;
        // A prompt no sequence has seen: the whole of it is evaluated.
        const long = projectContext(THREAD_SESSION + round * 2 + (mode === "today" ? 0 : 1), fillerLines);
        const prefillCpu = cpu();
        const prefill = await streamChat(pool, {
          model: AGENT,
          prompt: long,
          maxTokens: 1,
          timeoutMs: REQUEST_TIMEOUT_MS,
        });
        const decodeCpu = cpu();
        const decode = await streamChat(pool, {
          model: DECODE,
          prompt: `Round ${round} ${mode}: tell a long story about threads.`,
          maxTokens: options.decodeTokens,
          timeoutMs: REQUEST_TIMEOUT_MS,
        });
        const end = cpu();
        trials.push({
          mode,
          round,
          prefillMs: ttftMs(prefill),
          prefillTokens: prefill.promptTokens ?? 0,
          prefillCpuMs: decodeCpu - prefillCpu,
          decodeTokPerS: decodeRate(decode),
          decodeCpuMsPerToken: (end - decodeCpu) / Math.max(1, decode.tokens),
        });
        const last = trials.at(-1);
        log(
          `  round ${round + 1} ${mode}: prefill ${last?.prefillTokens} tokens ${((last?.prefillMs ?? 0) / 1000).toFixed(2)} s, ` +
            `decode ${last?.decodeTokPerS.toFixed(1)} tok/s`,
        );
      }
    }
  } finally {
    for (const neuron of Object.values(neurons)) await neuron.close();
  }
}
