import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent, request } from "undici";
import { describeMachine, machineInfo } from "../bench/machine-info.js";
import { repoRoot } from "../repo-root.js";
import { metricSamples } from "../read-metric.js";
import { countsBetween, reconcile, requestCounts, sumSamples } from "./soak-accounting.js";
import { runSoakRequest, type SoakResult } from "./soak-client.js";
import {
  FAKE_MODELS,
  REAL_MODELS,
  RELOAD_ALIAS,
  rssBytes,
  startSoakFleet,
  type SoakFleet,
} from "./soak-fleet.js";
import { alignedTable, formatRows, summarizeScenario, type RssPoint, type SoakRow } from "./soak-report.js";
import { hotModels, nextRequest, seededRandom, type SoakMix } from "./soak-requests.js";

/**
 * `npm run test:soak` (scripts/soak.js): 200 concurrent clients against a real gateway and three real
 * neurons for a few minutes, through a neuron SIGKILL + restart and a SIGHUP reload; every request must
 * end as a 200 or a dialect-correct error and show up in the gateway's counters, nothing may hang, and
 * every in-flight and queue gauge must come back to 0. Writes the table into docs/reliability.md.
 */

interface SoakOptions {
  clients: number;
  /** Seconds of traffic; the scenarios get fixed shares of it. */
  seconds: number;
  seed: number;
  write: boolean;
  /** Writes every request (spec, scenario, ending, ms) as JSON lines here, the processes' logs next to it. */
  details?: string;
}

const USAGE = `usage: node scripts/soak.js [--clients 200] [--seconds 150] [--seed 1] [--no-write] [--details FILE]`;
/** A request with no end after this long is hung (the gateway's own deadlines are 30 s load + 30 s first byte). */
const HUNG_AFTER_MS = 90_000;
/** The whole run, set-up and checks included, must fit in 10 minutes. */
const RUN_BUDGET_MS = 9.5 * 60_000;
/** How often demand moves on to another set of fake models (see hotModels). */
const HOT_SET_PERIOD_MS = 8_000;
const MIX: SoakMix = {
  fakeModels: FAKE_MODELS,
  realModels: REAL_MODELS,
  realShare: 0.12,
  streamShare: 0.55,
  abortShare: 0.12,
};

function parseOptions(argv: readonly string[]): SoakOptions {
  const options: SoakOptions = { clients: 200, seconds: 150, seed: 1, write: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): number => {
      const parsed = Number(argv[++i]);
      if (!Number.isSafeInteger(parsed) || parsed <= 0)
        throw new Error(`${flag}: expected a positive integer`);
      return parsed;
    };
    if (flag === "--clients") options.clients = value();
    else if (flag === "--seconds") options.seconds = Math.min(value(), 300);
    else if (flag === "--seed") options.seed = value();
    else if (flag === "--no-write") options.write = false;
    else if (flag === "--details") options.details = argv[++i] ?? "";
    else throw new Error(`unknown flag ${flag}`);
  }
  return options;
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes("--help")) {
    console.log(USAGE);
    return 0;
  }
  let options: SoakOptions;
  try {
    options = parseOptions(argv);
  } catch (error) {
    console.error(`soak: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const log = (line: string): void => console.error(line);
  const watchdog = setTimeout(() => {
    log("soak: the run exceeded its 10-minute budget");
    process.exit(1);
  }, RUN_BUDGET_MS);
  watchdog.unref();
  const fleet = await startSoakFleet(log);
  try {
    return await run(fleet, options, log);
  } finally {
    await fleet.close();
  }
}

async function run(fleet: SoakFleet, options: SoakOptions, log: (line: string) => void): Promise<number> {
  const { gateway, neurons } = fleet;
  const date = new Date();
  await waitUntil(
    "the gateway to see every neuron up",
    60_000,
    async () => (await nodesUp(fleet)).length === neurons.length,
  );
  const rss = (): RssPoint => {
    const values = neurons.map((neuron) => rssBytes(neuron.pid)).filter((value) => value !== undefined);
    return {
      gateway: rssBytes(gateway.pid),
      neurons: values.length === 0 ? undefined : values.reduce((sum, value) => sum + value, 0),
    };
  };
  const baseline = requestCounts(await text(`${gateway.metricsUrl}/metrics`));
  const processRss: { name: string; start: number | undefined; end?: number | undefined }[] = [
    { name: "gateway", start: rssBytes(gateway.pid) },
    ...neurons.map((neuron) => ({
      name: `neuron ${neuron.spec.name} (${neuron.spec.engine})`,
      start: rssBytes(neuron.pid),
    })),
  ];

  const scenarios: { name: string; start: RssPoint; end?: RssPoint }[] = [];
  let scenario = "";
  const enter = (name: string): void => {
    const now = rss();
    const previous = scenarios.at(-1);
    if (previous) previous.end = now;
    scenarios.push({ name, start: now });
    scenario = name;
    log(`soak: ${name}`);
  };

  const dispatcher = new Agent({ headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 4_000 });
  const results: SoakResult[] = [];
  let aliasReady = false;
  let inFlight = 0;
  const seconds = options.seconds;
  const startedAt = Date.now();
  const stopAt = startedAt + seconds * 1000;
  const client = async (index: number): Promise<void> => {
    const random = seededRandom(options.seed * 100_003 + index);
    // Spread the first requests over a second, like clients arriving.
    await sleep(Math.floor(random() * 1000));
    while (Date.now() < stopAt) {
      const hot = hotModels(FAKE_MODELS, 3, HOT_SET_PERIOD_MS, Date.now() - startedAt);
      let spec = nextRequest(random, { ...MIX, fakeModels: random() < 0.85 ? hot : FAKE_MODELS });
      if (aliasReady && random() < 0.1) spec = { ...spec, model: RELOAD_ALIAS };
      const at = scenario;
      const began = Date.now();
      inFlight++;
      const outcome = await runSoakRequest(gateway.url, dispatcher, spec, HUNG_AFTER_MS);
      inFlight--;
      results.push({ spec, scenario: at, outcome, ms: Date.now() - began });
      await sleep(50 + Math.floor(random() * 300));
    }
  };
  const progress = setInterval(() => {
    const ok = results.filter((result) => result.outcome.kind === "ok").length;
    const bad = results.filter((result) => ["bad", "hung"].includes(result.outcome.kind)).length;
    log(
      `soak: ${Math.round((Date.now() - startedAt) / 1000)} s, ${results.length} done (${ok} ok, ${bad} bad/hung), ${inFlight} in flight`,
    );
  }, 10_000);
  const events: string[] = [];
  const chaos = async (): Promise<void> => {
    const at = (share: number): Promise<void> =>
      sleep(Math.max(0, startedAt + share * seconds * 1000 - Date.now()));
    enter("steady: 3 dialects, streams, aborts, eviction churn");
    await at(0.4);
    enter("neuron SIGKILL + restart");
    const victim = neurons[0];
    if (!victim) throw new Error("no neuron");
    await victim.kill();
    const killed = Date.now();
    await sleep(3_000);
    await victim.start();
    await waitUntil(`the gateway to re-adopt ${victim.spec.name}`, 30_000, async () =>
      (await nodesUp(fleet)).includes(victim.spec.name),
    );
    events.push(
      `${victim.spec.name} SIGKILLed, restarted 3 s later, back in the gateway's fleet ${((Date.now() - killed) / 1000).toFixed(1)} s after the kill`,
    );
    await at(0.63);
    enter("gateway SIGHUP (config reload)");
    await fleet.writeReloadedConfig();
    const hup = Date.now();
    gateway.reload();
    await waitUntil("the reload to apply", 20_000, async () =>
      (await text(`${gateway.url}/v1/models`)).includes(RELOAD_ALIAS),
    );
    aliasReady = true;
    events.push(
      `SIGHUP (new timeouts: every neuron pool rebuilt; queue limit, poll interval, a new alias) applied ${Date.now() - hup} ms after the signal`,
    );
    await at(0.83);
    enter("after the chaos");
  };
  await Promise.all([chaos(), ...Array.from({ length: options.clients }, (_, index) => client(index))]);
  clearInterval(progress);
  const last = scenarios.at(-1);
  if (last) last.end = rss();
  log(`soak: traffic over: ${results.length} requests in ${Math.round((Date.now() - startedAt) / 1000)} s`);

  const gauges = await settledGauges(fleet);
  const probe = await probeSlots(fleet);
  for (const entry of processRss) {
    const pid =
      entry.name === "gateway"
        ? gateway.pid
        : neurons.find((n) => entry.name.includes(` ${n.spec.name} `))?.pid;
    entry.end = rssBytes(pid);
  }
  const delta = countsBetween(baseline, requestCounts(await text(`${gateway.metricsUrl}/metrics`)));
  const reconciliation = reconcile(results, delta);
  if (options.details) {
    const lines = results.map((result) => JSON.stringify(result));
    await writeFile(options.details, lines.join("\n") + "\n");
    await writeFile(`${options.details}.gateway.log`, gateway.output());
    for (const neuron of neurons)
      await writeFile(`${options.details}.${neuron.spec.name}.log`, neuron.output());
  }

  const rows: SoakRow[] = scenarios.map((window) =>
    summarizeScenario(
      window.name,
      results.filter((result) => result.scenario === window.name),
      { start: window.start, end: window.end ?? window.start },
    ),
  );
  const first = scenarios[0];
  const total = summarizeScenario(
    "total",
    results,
    { start: first?.start ?? rss(), end: last?.end ?? rss() },
    reconciliation.unaccounted,
  );
  rows.push(total);
  const gaugesZero = gauges.every((gauge) => gauge.value === 0);
  const passed = total.hung === 0 && total.unaccounted === 0 && gaugesZero && probe.ok;
  const markdown = formatReport({
    date,
    options,
    rows,
    gauges,
    probe,
    events,
    processRss,
    notes: [...reconciliation.notes, ...samples(results)],
    passed,
  });
  console.log(markdown);
  if (options.write) {
    await writeReliabilityDoc(markdown);
    log("soak: wrote docs/reliability.md");
  }
  await dispatcher.close();
  log(passed ? "soak: passed" : "soak: FAILED (hung, unaccounted, gauges or slots: see above)");
  return passed ? 0 : 1;
}

async function text(url: string): Promise<string> {
  const response = await request(url);
  return response.body.text();
}

async function nodesUp(fleet: SoakFleet): Promise<string[]> {
  const fleetView = JSON.parse(await text(`${fleet.gateway.url}/admin/fleet`)) as {
    nodes: { name: string; state: string }[];
  };
  return fleetView.nodes.filter((node) => node.state === "up").map((node) => node.name);
}

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`soak: timed out waiting for ${what}`);
    await sleep(200);
  }
}

interface GaugeReading {
  readonly where: string;
  readonly gauge: string;
  readonly value: number;
}

/** Every in-flight and queue gauge, polled until all read 0 (or 30 s pass): what is left is leaked. */
async function settledGauges(fleet: SoakFleet): Promise<GaugeReading[]> {
  const read = async (): Promise<GaugeReading[]> => {
    const gateway = await text(`${fleet.gateway.metricsUrl}/metrics`);
    const readings: GaugeReading[] = [
      {
        where: "gateway",
        gauge: "cortex_fleet_in_flight_requests",
        value: sumSamples(metricSamples(gateway, "cortex_fleet_in_flight_requests")),
      },
      {
        where: "gateway",
        gauge: "cortex_scheduler_queued_requests",
        value: sumSamples(metricSamples(gateway, "cortex_scheduler_queued_requests")),
      },
    ];
    for (const neuron of fleet.neurons) {
      const metrics = await text(`${neuron.url}/metrics`);
      for (const gauge of ["cortex_neuron_in_flight_requests", "cortex_neuron_queue_depth"]) {
        readings.push({
          where: `neuron ${neuron.spec.name}`,
          gauge,
          value: sumSamples(metricSamples(metrics, gauge)),
        });
      }
      const models = JSON.parse(await text(`${neuron.url}/models`)) as {
        models: { in_flight: number; queued: number }[];
      };
      readings.push({
        where: `neuron ${neuron.spec.name}`,
        gauge: "GET /models in_flight + queued",
        value: models.models.reduce((sum, model) => sum + model.in_flight + model.queued, 0),
      });
    }
    return readings;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const readings = await read();
    if (readings.every((reading) => reading.value === 0) || Date.now() > deadline) return readings;
    await sleep(250);
  }
}

interface SlotProbe {
  readonly ok: boolean;
  readonly lines: readonly string[];
}

/**
 * A leaked sequence would make one of `sequences` simultaneous requests wait forever: fill every loaded
 * model's sequences at once, straight on its neuron, and expect all of them back.
 */
async function probeSlots(fleet: SoakFleet): Promise<SlotProbe> {
  const lines: string[] = [];
  let ok = true;
  for (const neuron of fleet.neurons) {
    const { models } = JSON.parse(await text(`${neuron.url}/models`)) as {
      models: { id: string; state: string; sequences: number }[];
    };
    for (const model of models.filter((entry) => entry.state === "loaded")) {
      const body = JSON.stringify({
        model: model.id,
        max_tokens: 2,
        messages: [{ role: "user", content: "probe" }],
      });
      const statuses = await Promise.all(
        Array.from({ length: model.sequences }, async () => {
          const signal = AbortSignal.timeout(30_000);
          try {
            const response = await request(`${neuron.url}/v1/chat/completions`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body,
              signal,
            });
            await response.body.dump();
            return String(response.statusCode);
          } catch (error) {
            return (error as Error).name;
          }
        }),
      );
      const all = statuses.every((status) => status === "200");
      ok &&= all;
      lines.push(`${neuron.spec.name}/${model.id}: ${model.sequences} at once → ${statuses.join(", ")}`);
    }
  }
  return { ok, lines };
}

/** A few examples of each kind of wrong ending, for the report. */
function samples(results: readonly SoakResult[]): string[] {
  const lines: string[] = [];
  for (const kind of ["hung", "bad"] as const) {
    const matching = results.filter((result) => result.outcome.kind === kind);
    for (const result of matching.slice(0, 5)) {
      const outcome = result.outcome as { reason: string };
      lines.push(
        `${kind}: ${result.spec.dialect} ${result.spec.stream ? "stream" : "json"} ${result.spec.model} (${result.scenario}): ${outcome.reason}`,
      );
    }
  }
  return lines;
}

function formatReport(report: {
  date: Date;
  options: SoakOptions;
  rows: readonly SoakRow[];
  gauges: readonly GaugeReading[];
  probe: SlotProbe;
  events: readonly string[];
  processRss: readonly { name: string; start: number | undefined; end?: number | undefined }[];
  notes: readonly string[];
  passed: boolean;
}): string {
  const mib = (bytes: number | undefined): string =>
    bytes === undefined ? "–" : String(Math.round(bytes / 1024 / 1024));
  return [
    `Run of ${report.date.toISOString()}: ${report.options.clients} clients, ${report.options.seconds} s of traffic, seed ${report.options.seed}; ${describeMachine(machineInfo())}. Result: **${report.passed ? "passed" : "FAILED"}**.`,
    "",
    formatRows(report.rows),
    "",
    "Chaos:",
    "",
    ...report.events.map((event) => `- ${event}`),
    "",
    "Gauges after the traffic stopped (all must read 0):",
    "",
    alignedTable(
      ["where", "gauge", "value"],
      report.gauges.map((gauge) => [gauge.where, `\`${gauge.gauge}\``, String(gauge.value)]),
    ),
    "",
    "Slot probe (every sequence of every loaded model at once, straight on the neuron):",
    "",
    ...report.probe.lines.map((line) => `- ${line}`),
    "",
    "Resident memory per process (MiB; a restarted neuron ends as its new process):",
    "",
    alignedTable(
      ["process", "start", "end"],
      report.processRss.map((entry) => [entry.name, mib(entry.start), mib(entry.end)]),
    ),
    ...(report.notes.length === 0 ? [] : ["", "Notes:", "", ...report.notes.map((note) => `- ${note}`)]),
  ].join("\n");
}

const BEGIN = "<!-- soak:begin -->";
const END = "<!-- soak:end -->";

/** Replaces what lies between the markers of docs/reliability.md with the latest run. */
async function writeReliabilityDoc(markdown: string): Promise<void> {
  const path = join(repoRoot(), "docs", "reliability.md");
  const current = await readFile(path, "utf8");
  const begin = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`${path} lacks the ${BEGIN} … ${END} markers`);
  await writeFile(path, `${current.slice(0, begin + BEGIN.length)}\n\n${markdown}\n\n${current.slice(end)}`);
}

process.exitCode = await main(process.argv.slice(2));
