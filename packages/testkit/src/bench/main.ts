import { mkdir } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { repoRoot } from "../repo-root.js";
import { BENCH_USAGE, parseBenchArgs, type BenchOptions } from "./bench-options.js";
import { pressureBetween, readCpuPressure, waitForQuietCpu, type CpuPressure } from "./cpu-pressure.js";
import { Deadline } from "./deadline.js";
import { formatFleetReport, runFleetBench, summarizeFleetBench } from "./fleet-bench.js";
import { runGatewayBench } from "./gateway-bench.js";
import { runKvBench } from "./kv-bench.js";
import { formatKvReport, summarizeKvBench } from "./kv-report.js";
import { formatGatewayReport, summarizeGatewayBench } from "./gateway-report.js";
import { describeMachine, machineInfo } from "./machine-info.js";
import { runNeuronBench } from "./neuron-bench.js";
import { formatNeuronReport, summarizeNeuronBench } from "./neuron-report.js";
import { fileTimestamp, writeReport } from "./write-report.js";

/** `node scripts/bench.js [neuron|gateway|kv|all|fleet] [flags]`: the only place that reads argv. */
async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(BENCH_USAGE);
    return 0;
  }
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    console.error(`bench: ${(error as Error).message}\n${BENCH_USAGE}`);
    return 2;
  }
  const outDir = isAbsolute(options.outDir) ? options.outDir : join(repoRoot(), options.outDir);
  await mkdir(outDir, { recursive: true });
  const deadline = new Deadline(options.maxMs);
  const machine = machineInfo();
  const log = (line: string): void => console.error(line);
  const settle = (): Promise<CpuPressure | undefined> =>
    waitForQuietCpu(Math.min(options.waitQuietMs, deadline.remainingMs() / 4), options.quietPercent, log);
  const headerFor = (
    title: string,
    date: Date,
    before: CpuPressure | undefined,
    after: CpuPressure | undefined,
  ) =>
    [
      `## ${title} — ${date.toISOString()}`,
      "",
      `${describeMachine(machine)}. CPU pressure (Linux PSI "some": share of time a runnable task waited for a ` +
        `CPU, the bench's own processes included): ${formatPressure(before?.avg10)} in the 10 s before, ` +
        `${formatPressure(pressureBetween(before, after))} during the run.`,
    ].join("\n");
  let missed = false;
  /** Settle, run one suite, write its JSON and markdown, print the markdown; returns whether it missed. */
  const runSuite = async (
    name: string,
    title: string,
    run: (date: Date) => Promise<{ json: object; markdown: (header: string) => string; missed: boolean }>,
  ): Promise<boolean> => {
    const before = await settle();
    const date = new Date();
    const result = await run(date);
    const after = await readCpuPressure();
    const pressure = { before: before?.avg10, during: pressureBetween(before, after) };
    const markdown = result.markdown(headerFor(title, date, before, after));
    const paths = await writeReport(
      outDir,
      name,
      date,
      { date, machine, pressure, ...result.json },
      markdown,
    );
    console.log(`${markdown}\n\n(${paths.json})\n`);
    return result.missed;
  };

  if (options.suite === "neuron" || options.suite === "all") {
    missed ||= await runSuite("neuron", "neuron vs bare node-llama-cpp", async () => {
      const result = await runNeuronBench(options.neuron, deadline, log);
      const summary = summarizeNeuronBench(result);
      return {
        json: { ...result, summary },
        markdown: (header) => formatNeuronReport(result, summary, header),
        missed: summary.decodeTargetMet === false,
      };
    });
  }
  if (options.suite === "gateway" || options.suite === "all") {
    missed ||= await runSuite("gateway", "gateway overhead", async (date) => {
      const profileBase = join(outDir, `gateway-${fileTimestamp(date)}`);
      const result = await runGatewayBench(options.gateway, deadline, log, profileBase);
      const summary = summarizeGatewayBench(result);
      return {
        json: { ...result, summary },
        markdown: (header) => formatGatewayReport(result, summary, header),
        missed: summary.targetsMet === false,
      };
    });
  }
  if (options.suite === "kv" || options.suite === "all") {
    missed ||= await runSuite("kv", "agent sessions: KV state tier and per-phase threads", async () => {
      const result = await runKvBench(options.kv, deadline, log);
      const summary = summarizeKvBench(result);
      return {
        json: { ...result, summary },
        markdown: (header) => formatKvReport(result, summary, header),
        missed:
          Object.values(summary.vsOff).some(
            (value) => value.ttftTargetMet === false || value.throughputTargetMet === false,
          ) ||
          summary.prefillTargetMet === false ||
          summary.decodeTargetMet === false,
      };
    });
  }
  if (options.suite === "fleet") {
    missed ||= await runSuite("fleet", "fleet routing policies", async () => {
      const result = await runFleetBench(options.fleet, deadline, log);
      const summary = summarizeFleetBench(result.runs);
      return {
        json: { options: options.fleet, summary, ...result },
        markdown: (header) => formatFleetReport(summary, options.fleet, header, result.skipped),
        missed: Object.values(summary.targets).includes(false),
      };
    });
  }
  // A missed target is a finding, not a crash: the exit code stays 0, stderr says so.
  if (missed) log("bench: at least one target was missed (see the tables)");
  return 0;
}

function formatPressure(percent: number | undefined): string {
  return percent === undefined || !Number.isFinite(percent) ? "n/a" : `${percent.toFixed(0)}%`;
}

process.exitCode = await main(process.argv.slice(2));
