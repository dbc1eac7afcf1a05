import {
  formatNumber,
  formatPercent,
  formatSummary,
  formatVerdict,
  markdownTable,
} from "./format-markdown.js";
import {
  TIER_MODES,
  type KvBenchResult,
  type ThreadMode,
  type TierMode,
  type TierRun,
  type TurnSample,
} from "./kv-bench.js";
import { percentile, ratio, summarize, type Summary } from "./stats.js";

/** Returning-turn TTFT p50 with the tier must be at most this share of the one without. */
export const KV_TTFT_TARGET = 0.1;
/** Single-stream decode with per-phase threads within ±3% of one count for both phases. */
export const KV_DECODE_TOLERANCE = 0.03;
/** A cold prefill with per-phase threads at least this much faster. */
export const KV_PREFILL_TARGET = 1.6;

export interface KvTurnRow {
  turn: number;
  mode: TierMode;
  ttftP50: number;
  ttftP90: number;
  promptTokens: number;
  cachedTokens: number;
  /** Mean per request. */
  evaluatedTokens: number;
  decode: Summary;
}

export interface KvSummary {
  rows: KvTurnRow[];
  /** Per mode over every run of it. */
  modes: Record<
    TierMode,
    {
      returningTtftP50: number;
      returningTtftP90: number;
      aggregateTokPerS: number;
      restores: number;
      restoreMsMean: number;
      hitRatio: number;
      reuse: number;
      /** Prompt tokens llama.cpp evaluated per run (the neuron's counter), mean over runs. */
      evaluatedPerRun: number;
      /** What the tier held at the end of a run, mean over runs. */
      ramBytes: number;
      diskBytes: number;
    }
  >;
  /** Per tier mode (`ram`, `disk`): returning-turn TTFT p50 against `off`, and aggregate throughput. */
  vsOff: Record<
    Exclude<TierMode, "off">,
    {
      ttftRatio: number;
      ttftTargetMet: boolean | undefined;
      throughputRatio: number;
      throughputTargetMet: boolean | undefined;
    }
  >;
  threads: Record<
    ThreadMode,
    { prefillMs: Summary; prefillCpuMs: Summary; decode: Summary; decodeCpuMsPerToken: Summary }
  >;
  /** today / per-phase prefill time, per round (paired), summarized. */
  prefillSpeedup: Summary;
  prefillTargetMet: boolean | undefined;
  /** per-phase / today decode rate, per round. */
  decodeRatio: Summary;
  decodeTargetMet: boolean | undefined;
}

const MODE_LABEL: Record<TierMode, string> = {
  off: "tier off",
  ram: "tier on (defaults: RAM, then disk)",
  disk: 'tier on, disk only (`ram = "0"`)',
};

export function summarizeKvBench(result: KvBenchResult): KvSummary {
  const runsOf = (mode: TierMode): TierRun[] => result.runs.filter((run) => run.mode === mode);
  const turnsOf = (mode: TierMode): TurnSample[] => runsOf(mode).flatMap((run) => run.turns);
  const rows: KvTurnRow[] = [];
  for (let turn = 1; turn <= result.options.turns; turn++) {
    for (const mode of TIER_MODES) {
      const samples = turnsOf(mode).filter((sample) => sample.turn === turn);
      if (samples.length === 0) continue;
      const mean = (pick: (sample: TurnSample) => number): number =>
        samples.reduce((sum, sample) => sum + pick(sample), 0) / samples.length;
      rows.push({
        turn,
        mode,
        ttftP50: percentile(
          samples.map((sample) => sample.ttftMs),
          50,
        ),
        ttftP90: percentile(
          samples.map((sample) => sample.ttftMs),
          90,
        ),
        promptTokens: mean((sample) => sample.promptTokens),
        cachedTokens: mean((sample) => sample.cachedTokens),
        evaluatedTokens: mean((sample) => sample.promptTokens - sample.cachedTokens),
        decode: summarize(samples.map((sample) => sample.decodeTokPerS)),
      });
    }
  }
  const modeSummary = (mode: TierMode): KvSummary["modes"][TierMode] => {
    const runs = runsOf(mode);
    const returning = turnsOf(mode)
      .filter((sample) => sample.turn > 1)
      .map((sample) => sample.ttftMs);
    const restores = runs.reduce((sum, run) => sum + run.restores.count, 0);
    const restoreSeconds = runs.reduce((sum, run) => sum + run.restores.seconds, 0);
    const hits = runs.reduce((sum, run) => sum + run.lookups.hits, 0);
    const lookups = hits + runs.reduce((sum, run) => sum + run.lookups.misses, 0);
    const prompt = turnsOf(mode).reduce((sum, sample) => sum + sample.promptTokens, 0);
    const cached = turnsOf(mode).reduce((sum, sample) => sum + sample.cachedTokens, 0);
    const tokens = runs.reduce((sum, run) => sum + run.completionTokens, 0);
    const seconds = runs.reduce((sum, run) => sum + run.wallMs, 0) / 1000;
    const perRun = (pick: (run: TierRun) => number): number =>
      runs.length > 0 ? runs.reduce((sum, run) => sum + pick(run), 0) / runs.length : Number.NaN;
    return {
      evaluatedPerRun: perRun((run) => run.promptTokensEvaluated),
      ramBytes: perRun((run) => run.tier.ramBytes),
      diskBytes: perRun((run) => run.tier.diskBytes),
      returningTtftP50: percentile(returning, 50),
      returningTtftP90: percentile(returning, 90),
      aggregateTokPerS: seconds > 0 ? tokens / seconds : Number.NaN,
      restores,
      restoreMsMean: restores > 0 ? (restoreSeconds / restores) * 1000 : Number.NaN,
      hitRatio: lookups > 0 ? hits / lookups : Number.NaN,
      reuse: prompt > 0 ? cached / prompt : Number.NaN,
    };
  };
  const modes = { off: modeSummary("off"), ram: modeSummary("ram"), disk: modeSummary("disk") };
  const against = (mode: Exclude<TierMode, "off">): KvSummary["vsOff"]["ram"] => {
    const ttftRatio = ratio(modes[mode].returningTtftP50, modes.off.returningTtftP50);
    const throughputRatio = ratio(modes[mode].aggregateTokPerS, modes.off.aggregateTokPerS);
    return {
      ttftRatio,
      ttftTargetMet: Number.isFinite(ttftRatio) ? ttftRatio <= KV_TTFT_TARGET : undefined,
      throughputRatio,
      throughputTargetMet: Number.isFinite(throughputRatio) ? throughputRatio >= 1 : undefined,
    };
  };
  const vsOff = { ram: against("ram"), disk: against("disk") };

  const trialsOf = (mode: ThreadMode) => result.threadTrials.filter((trial) => trial.mode === mode);
  const threadSummary = (mode: ThreadMode): KvSummary["threads"][ThreadMode] => ({
    prefillMs: summarize(trialsOf(mode).map((trial) => trial.prefillMs)),
    prefillCpuMs: summarize(trialsOf(mode).map((trial) => trial.prefillCpuMs)),
    decode: summarize(trialsOf(mode).map((trial) => trial.decodeTokPerS)),
    decodeCpuMsPerToken: summarize(trialsOf(mode).map((trial) => trial.decodeCpuMsPerToken)),
  });
  const threads = { today: threadSummary("today"), "per-phase": threadSummary("per-phase") };
  const rounds = [...new Set(result.threadTrials.map((trial) => trial.round))];
  const paired = (pick: (mode: ThreadMode, round: number) => number, invert: boolean): Summary =>
    summarize(
      rounds.map((round) =>
        invert
          ? ratio(pick("today", round), pick("per-phase", round))
          : ratio(pick("per-phase", round), pick("today", round)),
      ),
    );
  const trial = (mode: ThreadMode, round: number) =>
    result.threadTrials.find((item) => item.mode === mode && item.round === round);
  const prefillSpeedup = paired((mode, round) => trial(mode, round)?.prefillMs ?? Number.NaN, true);
  const decodeRatio = paired((mode, round) => trial(mode, round)?.decodeTokPerS ?? Number.NaN, false);
  return {
    rows,
    modes,
    vsOff,
    threads,
    prefillSpeedup,
    prefillTargetMet: prefillSpeedup.n > 0 ? prefillSpeedup.median >= KV_PREFILL_TARGET : undefined,
    decodeRatio,
    decodeTargetMet: decodeRatio.n > 0 ? Math.abs(decodeRatio.median - 1) <= KV_DECODE_TOLERANCE : undefined,
  };
}

export function formatKvReport(result: KvBenchResult, summary: KvSummary, header: string): string {
  const { options } = result;
  const ms = (value: number): string => formatNumber(value);
  const turnRows = summary.rows.map((row) => [
    String(row.turn),
    MODE_LABEL[row.mode],
    ms(row.ttftP50),
    ms(row.ttftP90),
    formatNumber(row.promptTokens),
    formatNumber(row.cachedTokens),
    formatNumber(row.evaluatedTokens),
    formatSummary(row.decode),
  ]);
  const mib = (bytes: number): string => formatNumber(bytes / 2 ** 20);
  const modeRows = TIER_MODES.map((mode) => {
    const value = summary.modes[mode];
    return [
      MODE_LABEL[mode],
      ms(value.returningTtftP50),
      ms(value.returningTtftP90),
      formatNumber(value.evaluatedPerRun),
      formatPercent(value.reuse),
      formatNumber(value.aggregateTokPerS),
      String(value.restores),
      ms(value.restoreMsMean),
      formatPercent(value.hitRatio),
      `${mib(value.ramBytes)} / ${mib(value.diskBytes)}`,
    ];
  });
  const threadRows = (["today", "per-phase"] as const).map((mode) => [
    `${mode}: ${result.threads[mode].threads} decode / ${result.threads[mode].batchThreads} prompt threads`,
    formatSummary(summary.threads[mode].prefillMs),
    formatSummary(summary.threads[mode].prefillCpuMs),
    formatSummary(summary.threads[mode].decode),
    formatSummary(summary.threads[mode].decodeCpuMsPerToken),
  ]);
  const prefillTokens = result.threadTrials[0]?.prefillTokens ?? options.prefillTokens;
  return [
    header,
    "",
    `${options.sessions} concurrent agent sessions × ${options.turns} turns against one neuron (` +
      `\`parallel\` ${options.parallel}, tiny generated Qwen3), each session with its own ` +
      `≈ ${options.prefixTokens}-token system prompt; each turn sends the conversation so far plus a short ` +
      `message, max_tokens ${options.maxTokens}, greedy, streaming; turn by turn, every session at once. Tier ` +
      `off (\`ram = "0"\`, \`disk = "0"\`), on with the defaults, and on with disk only, in one run, ` +
      `${options.rounds} round(s), order alternating. TTFT is the client's ` +
      `(queueing for a sequence included).`,
    "",
    markdownTable(
      [
        "turn",
        "mode",
        "TTFT p50 ms",
        "TTFT p90 ms",
        "prompt tokens",
        "reused (cached_tokens)",
        "evaluated",
        "decode tok/s",
      ],
      turnRows,
    ),
    "",
    markdownTable(
      [
        "mode",
        "returning TTFT p50 ms",
        "returning TTFT p90 ms",
        "prompt tokens evaluated (all turns)",
        "prompt reuse",
        "aggregate tok/s",
        "restores",
        "restore ms (mean)",
        "tier hit ratio",
        "tier MiB RAM / disk (end)",
      ],
      modeRows,
    ),
    "",
    ...(["ram", "disk"] as const).flatMap((mode) => {
      const value = summary.vsOff[mode];
      return [
        `**${MODE_LABEL[mode]} / off: returning-turn TTFT p50 ${formatPercent(value.ttftRatio)}** — ` +
          formatVerdict(value.ttftTargetMet, `≤ ${formatPercent(KV_TTFT_TARGET)}`) +
          `; aggregate throughput ${formatPercent(value.throughputRatio)} — ` +
          formatVerdict(value.throughputTargetMet, "≥ 100%"),
        "",
      ];
    }),
    "",
    `Threads: one neuron per mode (tier off), ${options.threadRounds} A/B rounds, order alternating. Cold ` +
      `prefill: a fresh ${prefillTokens}-token prompt on the tiny Qwen3, TTFT of a 1-token answer. Decode: one ` +
      `stream of ${options.decodeTokens} tokens on the 177 MiB llama. CPU columns: the neuron process's user + ` +
      `system time (all threads) during that request, which a machine busy with other work does not inflate ` +
      `the way it inflates wall time. Cells: median (min–max).`,
    "",
    markdownTable(
      [
        "threads",
        `cold prefill ms (${prefillTokens} tokens)`,
        "prefill CPU ms",
        "decode tok/s, 1 stream",
        "decode CPU ms / token",
      ],
      threadRows,
    ),
    "",
    `**Cold prefill speed-up, per-phase vs one count: ${formatNumber(summary.prefillSpeedup.median)}×** ` +
      `(per-round ratios ${formatNumber(summary.prefillSpeedup.min)}–${formatNumber(summary.prefillSpeedup.max)}) — ` +
      formatVerdict(summary.prefillTargetMet, `≥ ${KV_PREFILL_TARGET}×`),
    "",
    `**Single-stream decode, per-phase / one count: ${formatPercent(summary.decodeRatio.median)}** ` +
      `(per-round ${formatPercent(summary.decodeRatio.min)}–${formatPercent(summary.decodeRatio.max)}) — ` +
      formatVerdict(summary.decodeTargetMet, `100% ± ${formatPercent(KV_DECODE_TOLERANCE)}`),
    ...(result.skipped.length > 0 ? ["", `Skipped (time budget): ${result.skipped.join("; ")}.`] : []),
    ...(result.failures.length > 0 ? ["", `Failed: ${result.failures.join("; ")}.`] : []),
  ].join("\n");
}
