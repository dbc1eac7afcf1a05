import { formatPercent, formatSummary, formatVerdict, markdownTable } from "./format-markdown.js";
import type { EnginePath, NeuronBenchResult, NeuronTrial } from "./neuron-bench.js";
import { ratio, summarize, type Summary } from "./stats.js";

/** Neuron single-stream decode must reach this share of bare node-llama-cpp. */
export const NEURON_DECODE_TARGET = 0.95;

export interface NeuronLevelSummary {
  concurrency: number;
  aggregate: Record<EnginePath, Summary>;
  /** Per-stream TTFT over every stream of every round. */
  ttft: Record<EnginePath, Summary>;
  /** Per-stream decode rate over every stream of every round. */
  decode: Record<EnginePath, Summary>;
}

export interface NeuronSummary {
  levels: NeuronLevelSummary[];
  /** neuron/bare median single-stream decode rate. */
  decodeRatio: number;
  /**
   * neuron/bare single-stream decode within each round (the two runs were back to back), over rounds:
   * pairing cancels slow drift of a shared machine. Its median is what the target is judged on.
   */
  decodeRatioPaired: Summary;
  decodeTargetMet: boolean | undefined;
}

export function summarizeNeuronBench(result: NeuronBenchResult): NeuronSummary {
  const levels = result.options.concurrency.map((concurrency): NeuronLevelSummary => {
    const of = (path: EnginePath): NeuronTrial[] =>
      result.trials.filter((trial) => trial.path === path && trial.concurrency === concurrency);
    const per = (pick: (trial: NeuronTrial) => number[]): Record<EnginePath, Summary> => ({
      bare: summarize(of("bare").flatMap(pick)),
      neuron: summarize(of("neuron").flatMap(pick)),
    });
    return {
      concurrency,
      aggregate: per((trial) => [trial.aggregateTokPerS]),
      ttft: per((trial) => trial.streams.map((stream) => stream.ttftMs)),
      decode: per((trial) => trial.streams.map((stream) => stream.decodeTokPerS)),
    };
  });
  const single = levels.find((level) => level.concurrency === 1);
  const decodeRatio = single ? ratio(single.decode.neuron.median, single.decode.bare.median) : Number.NaN;
  const decodeRatioPaired = summarize(pairedDecodeRatios(result.trials));
  return {
    levels,
    decodeRatio,
    decodeRatioPaired,
    decodeTargetMet: decodeRatioPaired.n > 0 ? decodeRatioPaired.median >= NEURON_DECODE_TARGET : undefined,
  };
}

function pairedDecodeRatios(trials: readonly NeuronTrial[]): number[] {
  const decodeOf = (round: number, path: EnginePath): number => {
    const trial = trials.find((item) => item.round === round && item.concurrency === 1 && item.path === path);
    return trial?.streams[0]?.decodeTokPerS ?? Number.NaN;
  };
  const rounds = [...new Set(trials.map((trial) => trial.round))];
  return rounds.map((round) => ratio(decodeOf(round, "neuron"), decodeOf(round, "bare")));
}

export function formatNeuronReport(
  result: NeuronBenchResult,
  summary: NeuronSummary,
  header: string,
): string {
  const { options } = result;
  const rows: string[][] = [];
  const single = summary.levels.find((level) => level.concurrency === 1);
  if (single) {
    rows.push(row("decode tok/s, 1 stream", single.decode));
    rows.push(row("TTFT ms, 1 stream", single.ttft));
  }
  for (const level of summary.levels) {
    rows.push(
      row(
        `aggregate tok/s, ${level.concurrency} stream${level.concurrency === 1 ? "" : "s"}`,
        level.aggregate,
      ),
    );
  }
  for (const level of summary.levels.filter((item) => item.concurrency > 1)) {
    rows.push(row(`TTFT ms, ${level.concurrency} streams (per stream)`, level.ttft));
  }
  const rounds = Math.max(0, ...result.trials.map((trial) => trial.round + 1));
  return [
    header,
    "",
    `Model \`${result.model.file}\` (${(result.model.bytes / 1024 ** 2).toFixed(0)} MiB), threads ${options.threads}, ` +
      `${Math.max(...options.concurrency)} sequences × ${options.contextSize} tokens, max_tokens ${options.maxTokens}, greedy; ` +
      `${rounds} A/B rounds (order alternating). Cells: median (min–max).`,
    "",
    markdownTable(["metric", "bare node-llama-cpp", "neuron over HTTP", "neuron/bare"], rows),
    "",
    `**neuron/bare single-stream decode: ${formatPercent(summary.decodeRatioPaired.median)}** ` +
      `(median of per-round ratios; range ${formatPercent(summary.decodeRatioPaired.min)}–` +
      `${formatPercent(summary.decodeRatioPaired.max)}; ratio of the medians ${formatPercent(summary.decodeRatio)}) — ` +
      formatVerdict(summary.decodeTargetMet, `≥ ${formatPercent(NEURON_DECODE_TARGET)}`),
    "",
    `Identical greedy text, single stream: ${result.sameText.same}/${result.sameText.compared} rounds.`,
    ...(result.skipped.length > 0 ? ["", `Skipped (time budget): ${result.skipped.join("; ")}.`] : []),
  ].join("\n");
}

function row(label: string, values: Record<EnginePath, Summary>): string[] {
  return [
    label,
    formatSummary(values.bare),
    formatSummary(values.neuron),
    formatPercent(ratio(values.neuron.median, values.bare.median)),
  ];
}
