import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnListening, type SpawnedProcess } from "@cortex/core";
import { Pool } from "undici";
import { spawnFakeEngineNeuron, type FakeEngineNeuron } from "../fake-engine/spawn-fake-engine-neuron.js";
import { repoRoot } from "../repo-root.js";
import type { Deadline } from "./deadline.js";
import { formatNumber, formatPercent, markdownTable } from "./format-markdown.js";
import { percentile } from "./stats.js";
import { streamChat, type ChatMessage } from "./stream-chat.js";
import { ttftMs } from "./stream-sample.js";

/**
 * `npm run bench:fleet`: three neurons on loopback (real `neuron serve` processes on the fake engine,
 * whose prompt evaluation, KV-tier restore and decode timings stand in for a GPU's: a full run of 8k-token
 * prompts on the real CPU engine would take most of an hour here), one model with a replica on each,
 * 12 agent sessions with their own ~8k-token prefixes, 4 turns each, and a burst on a second model.
 * The routing policies run side by side in one invocation, each on fresh neurons and a fresh gateway
 * (`cortex serve`), plus a single node with an unbounded KV tier as the reuse reference.
 */

export const FLEET_POLICIES = ["least-busy", "prefix", "random"] as const;
export type FleetPolicy = (typeof FLEET_POLICIES)[number];

export interface FleetBenchOptions {
  sessions: number;
  turns: number;
  /** Words (fake tokens) of each session's own system prompt. */
  prefixTokens: number;
  /** Tokens generated per turn. */
  maxTokens: number;
  /** Concurrent requests of the burst on the second model, and tokens each. */
  burstRequests: number;
  burstTokens: number;
  /** The gateway's poll interval (ms): upkeep and replicas act at this pace. */
  pollMs: number;
  replicaAfterMs: number;
  /** Sequences per node (`parallel`): 2 is the neuron's default. */
  sequencesPerNode: number;
}

export const DEFAULT_FLEET_BENCH: FleetBenchOptions = {
  sessions: 12,
  turns: 4,
  prefixTokens: 8000,
  maxTokens: 24,
  burstRequests: 12,
  burstTokens: 60,
  pollMs: 500,
  replicaAfterMs: 1000,
  sequencesPerNode: 2,
};

/** The fake engine's timings (per neuron, per model): GPU-like prefill, decode and KV-tier restore. */
export const FLEET_TIMINGS = {
  prefillMsPerToken: 0.1,
  restoreMsPerToken: 0.002,
  tokenDelayMs: 8,
  kvTierEntries: 6,
} as const;

const NODES = ["n1", "n2", "n3"] as const;
/**
 * One request, headers to last chunk. A returning turn takes well under a second and a cold 8k prompt a
 * few on the fake; a minute means a hung stream, which must fail the run rather than hold it forever.
 */
export const FLEET_REQUEST_TIMEOUT_MS = 60_000;

export type TurnSample = { session: number; turn: number } & Omit<ChatResult, "text">;

/** One side-by-side run: a routing policy on three nodes, or the single-node reference. */
export interface FleetPlan {
  policy: FleetPolicy;
  reference: boolean;
  /** What the log and a skipped entry call it. */
  label: string;
}

export const FLEET_PLANS: readonly FleetPlan[] = [
  ...FLEET_POLICIES.map((policy) => ({ policy, reference: false, label: policy })),
  {
    policy: "prefix",
    reference: true,
    label: "single node with an unbounded KV tier (reuse reference)",
  },
];

export interface FleetBenchResult {
  runs: FleetRun[];
  /** Runs, or the later turns of a run, left out because the time budget (`--max-minutes`) ran out. */
  skipped: readonly string[];
}

export interface FleetRun {
  policy: FleetPolicy | "single-node-reference";
  /** The budget ran out mid-run: sessions stopped between turns, so its numbers are not comparable. */
  cutShort: boolean;
  turns: TurnSample[];
  wallMs: number;
  completionTokens: number;
  replicaLoads: number;
  swaps: number;
  /** From the moment the burst's oldest request had waited `replica_after` to the replica decision. */
  burstReplicaDelayPolls: number | null;
  routes: Record<string, number>;
}

export interface FleetSummaryRow {
  policy: FleetRun["policy"];
  cutShort: boolean;
  returningTtftP50Ms: number;
  returningTtftP90Ms: number;
  tokensPerSecond: number;
  reuseRatio: number;
  replicaLoads: number;
  swaps: number;
  burstReplicaDelayPolls: number | null;
}

export interface FleetSummary {
  rows: FleetSummaryRow[];
  targets: {
    ttftP90: boolean | undefined;
    throughput: boolean | undefined;
    reuse: boolean | undefined;
    burstReplica: boolean | undefined;
  };
}

/**
 * Runs the plans one after another while `deadline` allows: a plan that would start after it is skipped,
 * and a plan running when it passes stops its sessions between turns (its run is marked cut short).
 */
export async function runFleetBench(
  options: FleetBenchOptions,
  deadline: Deadline,
  log: (line: string) => void,
  runPlan: (plan: FleetPlan, options: FleetBenchOptions, deadline: Deadline) => Promise<FleetRun> = runPolicy,
): Promise<FleetBenchResult> {
  const runs: FleetRun[] = [];
  for (const plan of FLEET_PLANS) {
    if (!deadline.allows(`fleet bench: ${plan.label}`)) continue;
    log(`fleet bench: ${plan.label}`);
    const run = await runPlan(plan, options, deadline);
    if (run.cutShort) deadline.skip(`fleet bench: ${plan.label}, the turns after the deadline`);
    runs.push(run);
  }
  return { runs, skipped: deadline.skipped };
}

async function runPolicy(plan: FleetPlan, options: FleetBenchOptions, deadline: Deadline): Promise<FleetRun> {
  const { policy, reference } = plan;
  const names = reference ? ["solo"] : [...NODES];
  const agent = {
    memory: 4_000_000,
    prefillMsPerToken: FLEET_TIMINGS.prefillMsPerToken,
    restoreMsPerToken: FLEET_TIMINGS.restoreMsPerToken,
    tokenDelayMs: FLEET_TIMINGS.tokenDelayMs,
    kvTierEntries: reference ? 100_000 : FLEET_TIMINGS.kvTierEntries,
  };
  const burst = { memory: 4_000_000, tokenDelayMs: FLEET_TIMINGS.tokenDelayMs };
  const parallel = reference ? options.sessions : options.sequencesPerNode;
  const neurons: FakeEngineNeuron[] = [];
  let gateway: (SpawnedProcess & { cleanup: () => Promise<void> }) | undefined;
  let pool: Pool | undefined;
  try {
    for (const name of names) {
      neurons.push(
        await spawnFakeEngineNeuron({
          name,
          models: { agent, burst },
          config: `parallel = ${parallel}\nmemory_budget = "1GiB"`,
        }),
      );
    }
    gateway = await spawnGateway(policy, neurons, options, reference);
    const url = gateway.url;
    // No socket limit: every session and every burst request streams at once.
    const dispatcher = new Pool(url, { connections: null });
    pool = dispatcher;
    const send: ChatFn = (model, messages, maxTokens) => chat(dispatcher, model, messages, maxTokens);
    await until(`agent loaded on every node`, async () => {
      const models = (await (await fetch(`${url}/v1/models`)).json()) as {
        data: { id: string; loaded_on: string[] }[];
      };
      return models.data.find((model) => model.id === "agent")?.loaded_on.length === names.length;
    });
    // The burst's model starts on one node; replicas come from its queue.
    await send("burst", [{ role: "user", content: "warm up" }], 1);

    const started = Date.now();
    const sessions = Array.from({ length: options.sessions }, (_, index) =>
      runSession(send, index, options, deadline),
    );
    let burstStart = 0;
    const burstDone =
      reference || deadline.remainingMs() <= 0
        ? Promise.resolve([] as number[])
        : (async () => {
            // A second in, while the sessions' first turns are being evaluated: the burst competes with them.
            await delay(1000);
            burstStart = Date.now();
            return Promise.all(
              Array.from({ length: options.burstRequests }, (_, i) =>
                send("burst", [{ role: "user", content: `burst ${i}` }], options.burstTokens).then(
                  (result) => result.completionTokens,
                ),
              ),
            );
          })();
    const [sessionRuns, burstTokens] = await Promise.all([Promise.all(sessions), burstDone]);
    const wallMs = Date.now() - started;
    const decisions = (
      (await (await fetch(`${url}/admin/decisions`)).json()) as {
        decisions: { at: number; kind: string; model: string; message: string }[];
      }
    ).decisions;
    const replicaAdds = decisions.filter((d) => d.kind === "replica" && d.message.startsWith("adding"));
    const firstBurstReplica = replicaAdds.find((d) => d.model === "burst" && d.at >= burstStart);
    const all = sessionRuns.flatMap((session) => session.turns);
    const routes: Record<string, number> = {};
    for (const sample of all) routes[sample.route ?? "none"] = (routes[sample.route ?? "none"] ?? 0) + 1;
    return {
      policy: reference ? "single-node-reference" : policy,
      cutShort: sessionRuns.some((session) => session.cutShort),
      turns: all,
      wallMs,
      completionTokens:
        all.reduce((sum, sample) => sum + sample.completionTokens, 0) +
        burstTokens.reduce((a, b) => a + b, 0),
      replicaLoads: replicaAdds.length,
      swaps: decisions.filter((d) => d.kind === "evict").length,
      burstReplicaDelayPolls:
        firstBurstReplica === undefined || reference || burstStart === 0
          ? null
          : Math.max(0, firstBurstReplica.at - burstStart - options.replicaAfterMs) / options.pollMs,
      routes,
    };
  } finally {
    await pool?.destroy();
    if (gateway) {
      await gateway.stop("SIGKILL");
      await gateway.cleanup();
    }
    for (const neuron of neurons) await neuron.stop();
  }
}

/** One streaming chat through the gateway (the bench's one request path, `streamChat`). */
export type ChatFn = (model: string, messages: ChatMessage[], maxTokens: number) => Promise<ChatResult>;

/**
 * One agent session: each turn sends the conversation so far plus a short question. Stops between
 * turns once the deadline has passed (`cutShort`): a turn in flight finishes, bounded by its timeout.
 */
export async function runSession(
  send: ChatFn,
  index: number,
  options: FleetBenchOptions,
  deadline: Deadline,
): Promise<{ turns: TurnSample[]; cutShort: boolean }> {
  // Distinct words per session, so no two sessions share a prompt prefix beyond the first word.
  const system = Array.from({ length: options.prefixTokens }, (_, i) => `s${index}w${i % 997}`).join(" ");
  const history: ChatMessage[] = [{ role: "system", content: system }];
  const turns: TurnSample[] = [];
  for (let turn = 1; turn <= options.turns; turn++) {
    if (deadline.remainingMs() <= 0) return { turns, cutShort: true };
    history.push({ role: "user", content: `Session ${index}, turn ${turn}: what next?` });
    const { text, ...sample } = await send("agent", history, options.maxTokens);
    turns.push({ session: index, turn, ...sample });
    history.push({ role: "assistant", content: text });
  }
  return { turns, cutShort: false };
}

export interface ChatResult {
  ttftMs: number;
  promptTokens: number;
  cachedTokens: number;
  completionTokens: number;
  node: string | null;
  route: string | null;
  text: string;
}

async function chat(
  pool: Pool,
  model: string,
  messages: ChatMessage[],
  maxTokens: number,
): Promise<ChatResult> {
  const sample = await streamChat(pool, {
    model,
    prompt: messages,
    maxTokens,
    timeoutMs: FLEET_REQUEST_TIMEOUT_MS,
  }).catch((error: unknown) => {
    throw new Error(`fleet bench: ${model}: ${(error as Error).message}`, { cause: error });
  });
  return {
    ttftMs: ttftMs(sample),
    promptTokens: sample.promptTokens ?? 0,
    cachedTokens: sample.cachedTokens ?? 0,
    completionTokens: sample.tokens,
    node: header(sample.headers["x-cortex-node"]),
    route: header(sample.headers["x-cortex-route"]),
    text: sample.text,
  };
}

function header(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

async function spawnGateway(
  policy: FleetPolicy,
  neurons: readonly FakeEngineNeuron[],
  options: FleetBenchOptions,
  reference: boolean,
): Promise<SpawnedProcess & { cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "cortex-bench-fleet-"));
  const copies = reference ? 1 : neurons.length;
  const config = [
    "[gateway]",
    `listen = "127.0.0.1:0"`,
    `metrics_listen = "127.0.0.1:0"`,
    "[fleet]",
    `poll_interval = "${options.pollMs}ms"`,
    "[scheduler]",
    `routing = "${policy}"`,
    `replica_after = "${options.replicaAfterMs}ms"`,
    `queue_limit = 256`,
    ...neurons.flatMap((neuron) => ["[[neurons]]", `name = "${neuron.name}"`, `endpoint = "${neuron.url}"`]),
    "",
  ].join("\n");
  const models = [
    "[[models]]",
    `id = "agent"`,
    "pinned = true",
    `replicas = { min = ${copies}, max = ${copies} }`,
    "[[models]]",
    `id = "burst"`,
    `replicas = { min = 1, max = ${copies} }`,
    "",
  ].join("\n");
  await writeFile(join(dir, "cortex.toml"), config);
  await writeFile(join(dir, "models.toml"), models);
  try {
    const spawned = await spawnListening(
      process.execPath,
      [
        join(repoRoot(), "packages/cli/bin/cortex.js"),
        "serve",
        "--config",
        join(dir, "cortex.toml"),
        "--models",
        join(dir, "models.toml"),
      ],
      { timeoutMs: 30_000, env: { CORTEX_LOG_LEVEL: "warn" } },
    );
    return { ...spawned, cleanup: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Reuse, TTFT of returning turns (2 and later), throughput; the targets against least-busy. */
export function summarizeFleetBench(runs: readonly FleetRun[]): FleetSummary {
  const rows = runs.map((run): FleetSummaryRow => {
    const returning = run.turns.filter((sample) => sample.turn > 1).map((sample) => sample.ttftMs);
    const prompt = run.turns.reduce((sum, sample) => sum + sample.promptTokens, 0);
    const cached = run.turns.reduce((sum, sample) => sum + sample.cachedTokens, 0);
    return {
      policy: run.policy,
      cutShort: run.cutShort,
      returningTtftP50Ms: percentile(returning, 50),
      returningTtftP90Ms: percentile(returning, 90),
      tokensPerSecond: run.completionTokens / (run.wallMs / 1000),
      reuseRatio: prompt > 0 ? cached / prompt : Number.NaN,
      replicaLoads: run.replicaLoads,
      swaps: run.swaps,
      burstReplicaDelayPolls: run.burstReplicaDelayPolls,
    };
  });
  // A run cut short by the time budget is not compared: its sessions stopped at different turns.
  const row = (policy: FleetRun["policy"]) =>
    rows.find((candidate) => candidate.policy === policy && !candidate.cutShort);
  const prefix = row("prefix");
  const leastBusy = row("least-busy");
  const reference = row("single-node-reference");
  const known = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b);
  return {
    rows,
    targets: {
      ttftP90: known(prefix?.returningTtftP90Ms, leastBusy?.returningTtftP90Ms)
        ? (prefix?.returningTtftP90Ms ?? 0) <= (leastBusy?.returningTtftP90Ms ?? 0) / 3
        : undefined,
      throughput: known(prefix?.tokensPerSecond, leastBusy?.tokensPerSecond)
        ? (prefix?.tokensPerSecond ?? 0) >= (leastBusy?.tokensPerSecond ?? 0)
        : undefined,
      reuse: known(prefix?.reuseRatio, reference?.reuseRatio)
        ? (prefix?.reuseRatio ?? 0) >= 0.9 * (reference?.reuseRatio ?? 0)
        : undefined,
      burstReplica:
        prefix?.burstReplicaDelayPolls === null || prefix === undefined
          ? undefined
          : prefix.burstReplicaDelayPolls <= 2,
    },
  };
}

export function formatFleetReport(
  summary: FleetSummary,
  options: FleetBenchOptions,
  header: string,
  skipped: readonly string[] = [],
): string {
  const verdict = (met: boolean | undefined) => (met === undefined ? "–" : met ? "met" : "MISSED");
  const table = markdownTable(
    [
      "policy",
      "returning TTFT p50",
      "p90",
      "tok/s",
      "prefix reuse",
      "replica loads",
      "swaps",
      "burst → replica",
    ],
    summary.rows.map((row) => [
      row.cutShort ? `${row.policy} (cut short)` : row.policy,
      `${formatNumber(row.returningTtftP50Ms)} ms`,
      `${formatNumber(row.returningTtftP90Ms)} ms`,
      formatNumber(row.tokensPerSecond),
      formatPercent(row.reuseRatio),
      String(row.replicaLoads),
      String(row.swaps),
      row.burstReplicaDelayPolls === null ? "–" : `${formatNumber(row.burstReplicaDelayPolls)} polls`,
    ]),
  );
  return [
    header,
    "",
    `${options.sessions} sessions × ${options.turns} turns, ~${options.prefixTokens}-token prefixes, ` +
      `${options.maxTokens} tokens per turn; burst: ${options.burstRequests} × ${options.burstTokens} tokens on a ` +
      `second model; 3 fake-engine neurons × ${options.sequencesPerNode} sequences, prefill ` +
      `${FLEET_TIMINGS.prefillMsPerToken} ms/token, restore ${FLEET_TIMINGS.restoreMsPerToken} ms/token, decode ` +
      `${FLEET_TIMINGS.tokenDelayMs} ms/token, KV tier ${FLEET_TIMINGS.kvTierEntries} states per node; poll ` +
      `${options.pollMs} ms, replica_after ${options.replicaAfterMs} ms.`,
    "",
    table,
    "",
    `Targets: returning-turn TTFT p90 of prefix ≤ 1/3 of least-busy: ${verdict(summary.targets.ttftP90)}; ` +
      `throughput ≥ least-busy: ${verdict(summary.targets.throughput)}; reuse ≥ 90% of the single-node ` +
      `reference: ${verdict(summary.targets.reuse)}; burst replica within 2 polls: ` +
      `${verdict(summary.targets.burstReplica)}.`,
    ...(skipped.length > 0
      ? ["", `Skipped (time budget, --max-minutes; cut-short runs are not compared): ${skipped.join("; ")}.`]
      : []),
  ].join("\n");
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`fleet bench: timed out waiting for ${what}`);
    await delay(100);
  }
}
