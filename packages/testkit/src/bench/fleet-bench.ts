import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SseParser, spawnListening, type SpawnedProcess } from "@cortex/core";
import { spawnFakeEngineNeuron, type FakeEngineNeuron } from "../fake-engine/spawn-fake-engine-neuron.js";
import { repoRoot } from "../repo-root.js";
import { formatNumber, formatPercent, markdownTable } from "./format-markdown.js";
import { percentile } from "./stats.js";

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

export type TurnSample = { session: number; turn: number } & Omit<ChatResult, "text">;

export interface FleetRun {
  policy: FleetPolicy | "single-node-reference";
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

export async function runFleetBench(
  options: FleetBenchOptions,
  log: (line: string) => void,
): Promise<FleetRun[]> {
  const runs: FleetRun[] = [];
  for (const policy of FLEET_POLICIES) {
    log(`fleet bench: ${policy}`);
    runs.push(await runPolicy(policy, options, false));
  }
  log("fleet bench: single node with an unbounded KV tier (reuse reference)");
  runs.push(await runPolicy("prefix", options, true));
  return runs;
}

async function runPolicy(
  policy: FleetPolicy,
  options: FleetBenchOptions,
  reference: boolean,
): Promise<FleetRun> {
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
    await until(`agent loaded on every node`, async () => {
      const models = (await (await fetch(`${url}/v1/models`)).json()) as {
        data: { id: string; loaded_on: string[] }[];
      };
      return models.data.find((model) => model.id === "agent")?.loaded_on.length === names.length;
    });
    // The burst's model starts on one node; replicas come from its queue.
    await chat(url, "burst", [{ role: "user", content: "warm up" }], 1);

    const started = Date.now();
    const sessions = Array.from({ length: options.sessions }, (_, index) => runSession(url, index, options));
    let burstStart = 0;
    const burstDone = reference
      ? Promise.resolve([] as number[])
      : (async () => {
          // A second in, while the sessions' first turns are being evaluated: the burst competes with them.
          await delay(1000);
          burstStart = Date.now();
          return Promise.all(
            Array.from({ length: options.burstRequests }, (_, i) =>
              chat(url, "burst", [{ role: "user", content: `burst ${i}` }], options.burstTokens).then(
                (result) => result.completionTokens,
              ),
            ),
          );
        })();
    const [turns, burstTokens] = await Promise.all([Promise.all(sessions), burstDone]);
    const wallMs = Date.now() - started;
    const decisions = (
      (await (await fetch(`${url}/admin/decisions`)).json()) as {
        decisions: { at: number; kind: string; model: string; message: string }[];
      }
    ).decisions;
    const replicaAdds = decisions.filter((d) => d.kind === "replica" && d.message.startsWith("adding"));
    const firstBurstReplica = replicaAdds.find((d) => d.model === "burst" && d.at >= burstStart);
    const all = turns.flat();
    const routes: Record<string, number> = {};
    for (const sample of all) routes[sample.route ?? "none"] = (routes[sample.route ?? "none"] ?? 0) + 1;
    return {
      policy: reference ? "single-node-reference" : policy,
      turns: all,
      wallMs,
      completionTokens:
        all.reduce((sum, sample) => sum + sample.completionTokens, 0) +
        burstTokens.reduce((a, b) => a + b, 0),
      replicaLoads: replicaAdds.length,
      swaps: decisions.filter((d) => d.kind === "evict").length,
      burstReplicaDelayPolls:
        firstBurstReplica === undefined || reference
          ? null
          : Math.max(0, firstBurstReplica.at - burstStart - options.replicaAfterMs) / options.pollMs,
      routes,
    };
  } finally {
    if (gateway) {
      await gateway.stop("SIGKILL");
      await gateway.cleanup();
    }
    for (const neuron of neurons) await neuron.stop();
  }
}

type Message = { role: "system" | "user" | "assistant"; content: string };

async function runSession(url: string, index: number, options: FleetBenchOptions): Promise<TurnSample[]> {
  // Distinct words per session, so no two sessions share a prompt prefix beyond the first word.
  const system = Array.from({ length: options.prefixTokens }, (_, i) => `s${index}w${i % 997}`).join(" ");
  const history: Message[] = [{ role: "system", content: system }];
  const samples: TurnSample[] = [];
  for (let turn = 1; turn <= options.turns; turn++) {
    history.push({ role: "user", content: `Session ${index}, turn ${turn}: what next?` });
    const result = await chat(url, "agent", history, options.maxTokens);
    const { text, ...sample } = result;
    samples.push({ session: index, turn, ...sample });
    history.push({ role: "assistant", content: text });
  }
  return samples;
}

interface ChatResult {
  ttftMs: number;
  promptTokens: number;
  cachedTokens: number;
  completionTokens: number;
  node: string | null;
  route: string | null;
  text: string;
}

/** One streaming chat through the gateway, timed to its first content chunk. */
async function chat(url: string, model: string, messages: Message[], maxTokens: number): Promise<ChatResult> {
  const sent = Date.now();
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model,
      messages,
      max_tokens: maxTokens,
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  if (response.status !== 200 || !response.body) {
    throw new Error(`fleet bench: ${model} answered ${response.status}: ${await response.text()}`);
  }
  const parser = new SseParser();
  const decoder = new TextDecoder();
  let ttftMs = Number.NaN;
  let text = "";
  let usage = { prompt_tokens: 0, completion_tokens: 0, prompt_tokens_details: { cached_tokens: 0 } };
  for await (const bytes of response.body) {
    for (const message of parser.push(decoder.decode(bytes as Uint8Array, { stream: true }))) {
      if (message.data === "[DONE]") continue;
      const chunk = JSON.parse(message.data) as {
        choices?: { delta?: { content?: string } }[];
        usage?: typeof usage | null;
      };
      const content = chunk.choices?.[0]?.delta?.content ?? "";
      if (content !== "" && Number.isNaN(ttftMs)) ttftMs = Date.now() - sent;
      text += content;
      if (chunk.usage) usage = chunk.usage;
    }
  }
  return {
    ttftMs,
    promptTokens: usage.prompt_tokens,
    cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    completionTokens: usage.completion_tokens,
    node: response.headers.get("x-cortex-node"),
    route: response.headers.get("x-cortex-route"),
    text,
  };
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
      returningTtftP50Ms: percentile(returning, 50),
      returningTtftP90Ms: percentile(returning, 90),
      tokensPerSecond: run.completionTokens / (run.wallMs / 1000),
      reuseRatio: prompt > 0 ? cached / prompt : Number.NaN,
      replicaLoads: run.replicaLoads,
      swaps: run.swaps,
      burstReplicaDelayPolls: run.burstReplicaDelayPolls,
    };
  });
  const row = (policy: FleetRun["policy"]) => rows.find((candidate) => candidate.policy === policy);
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

export function formatFleetReport(summary: FleetSummary, options: FleetBenchOptions, header: string): string {
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
      row.policy,
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
