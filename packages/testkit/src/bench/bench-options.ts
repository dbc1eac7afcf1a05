import { parseArgs } from "node:util";
import { DEFAULT_FLEET_BENCH, type FleetBenchOptions } from "./fleet-bench.js";

/** `fleet` runs alone (not part of `all`): it needs several neurons and gateways of its own. */
export type BenchSuite = "neuron" | "gateway" | "kv" | "all" | "fleet";

export interface NeuronBenchOptions {
  /** llama.cpp threads for both the bare engine and the neuron. */
  threads: number;
  /** Generated tokens per stream (greedy, no EOS with the generated models). */
  maxTokens: number;
  /** Concurrent stream counts; the largest is the neuron's `parallel` and the bare `sequences`. */
  concurrency: readonly number[];
  /** A/B rounds; each round runs every concurrency level on both paths, order alternating. */
  rounds: number;
  /** Tokens of context per sequence on both sides. */
  contextSize: number;
}

export interface GatewayBenchOptions {
  /** Concurrent closed-loop clients per level. */
  clients: readonly number[];
  /** Measured time per (backend, level, path, round). */
  durationMs: number;
  /** Untimed load on the same connections before each measurement. */
  warmupMs: number;
  rounds: number;
  /** max_tokens of every request (the fake answers that many words). */
  maxTokens: number;
  /** Sequential streaming requests per path for TTFT. */
  ttftRequests: number;
  /** Sequences on the real neuron. */
  parallel: number;
  /** Profile cortex even when it meets its targets. */
  profile: boolean;
  /** Skip the real-neuron backend (fake only). */
  fakeOnly: boolean;
}

export interface KvBenchOptions {
  /** Concurrent agent sessions. */
  sessions: number;
  /** Requests per session, each the conversation so far plus a short new message. */
  turns: number;
  /** Tokens of each session's own prefix (system prompt). */
  prefixTokens: number;
  /** max_tokens of each turn. */
  maxTokens: number;
  /** Sequences of the neuron. */
  parallel: number;
  /** Rounds of the tier modes (off, on, disk only), order alternating. */
  rounds: number;
  /** Tokens of the cold prefill measured per thread mode. */
  prefillTokens: number;
  /** Tokens generated for the single-stream decode rate. */
  decodeTokens: number;
  /** A/B rounds of the thread comparison. */
  threadRounds: number;
}

export interface BenchOptions {
  suite: BenchSuite;
  neuron: NeuronBenchOptions;
  gateway: GatewayBenchOptions;
  kv: KvBenchOptions;
  fleet: FleetBenchOptions;
  /** Hard wall-clock budget for the whole run; later phases are skipped and the report says so. */
  maxMs: number;
  /** Where results go, relative to the repo root unless absolute. */
  outDir: string;
  /** Before each suite, wait up to this long for CPU pressure (PSI avg10) to drop to `quietPercent`. */
  waitQuietMs: number;
  quietPercent: number;
}

export const BENCH_USAGE = `usage: node scripts/bench.js [neuron|gateway|kv|all|fleet] [flags]
  --threads N          llama.cpp threads, bare and neuron (default 1)
  --max-tokens N       tokens per stream in the neuron bench (default 64)
  --concurrency LIST   neuron bench streams (default 1,2,4,8)
  --rounds N           A/B rounds (neuron, default 5) / rounds per level (gateway, default 3) /
                       tier off-on rounds (kv, default 1)
  --context-size N     tokens per sequence (default 1024)
  --clients LIST       gateway bench concurrent clients (default 1,16,64)
  --duration S         seconds per gateway measurement (default 3)
  --ttft-requests N    streaming requests per path for TTFT (default 30)
  --profile            profile cortex even when it meets its targets
  --fake-only          gateway bench against the fake neuron only
  --sessions N         kv / fleet bench: concurrent agent sessions (default 6 / 12)
  --turns N            kv / fleet bench: turns per session (default 3 / 4)
  --prefix-tokens N    kv / fleet bench: tokens of each session's own prefix (default 2000 / 8000)
  --prefill-tokens N   kv bench: tokens of the cold prefill per thread mode (default 4000)
  --sequences N        fleet bench: sequences per neuron (default 2, the neuron's default parallel)
  --wait-quiet S       before each suite, wait up to S s for a quiet CPU (PSI avg10 <= 20%; default 60, 0 = off)
  --max-minutes M      hard budget for the whole run (default 20): later phases (fleet: policies, turns)
                       are skipped and the report lists them
  --out DIR            results folder (default bench-results)`;

/** Throws an Error fit to print next to BENCH_USAGE. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      threads: { type: "string" },
      "max-tokens": { type: "string" },
      concurrency: { type: "string" },
      rounds: { type: "string" },
      "context-size": { type: "string" },
      clients: { type: "string" },
      duration: { type: "string" },
      "ttft-requests": { type: "string" },
      profile: { type: "boolean" },
      "fake-only": { type: "boolean" },
      sessions: { type: "string" },
      turns: { type: "string" },
      "prefix-tokens": { type: "string" },
      "prefill-tokens": { type: "string" },
      sequences: { type: "string" },
      "max-minutes": { type: "string" },
      "wait-quiet": { type: "string" },
      out: { type: "string" },
    },
  });
  if (positionals.length > 1) throw new Error(`one suite at most, got ${positionals.join(" ")}`);
  const suite = positionals[0] ?? "all";
  if (suite !== "neuron" && suite !== "gateway" && suite !== "kv" && suite !== "all" && suite !== "fleet") {
    throw new Error(`unknown suite ${JSON.stringify(suite)} (neuron, gateway, kv, all or fleet)`);
  }
  const rounds = values.rounds === undefined ? undefined : count("--rounds", values.rounds, 1, 100);
  return {
    suite,
    neuron: {
      threads: count("--threads", values.threads ?? "1", 1, 256),
      maxTokens: count("--max-tokens", values["max-tokens"] ?? "64", 2, 4096),
      concurrency: list("--concurrency", values.concurrency ?? "1,2,4,8", 64),
      rounds: rounds ?? 5,
      contextSize: count("--context-size", values["context-size"] ?? "1024", 256, 131072),
    },
    gateway: {
      clients: list("--clients", values.clients ?? "1,16,64", 1024),
      durationMs: seconds("--duration", values.duration ?? "3"),
      warmupMs: 500,
      rounds: rounds ?? 3,
      maxTokens: 8,
      ttftRequests: count("--ttft-requests", values["ttft-requests"] ?? "30", 1, 10_000),
      parallel: 4,
      profile: values.profile === true,
      fakeOnly: values["fake-only"] === true,
    },
    kv: {
      sessions: count("--sessions", values.sessions ?? "6", 1, 64),
      turns: count("--turns", values.turns ?? "3", 2, 32),
      prefixTokens: count("--prefix-tokens", values["prefix-tokens"] ?? "2000", 256, 60_000),
      maxTokens: 16,
      parallel: 2,
      rounds: rounds ?? 1,
      prefillTokens: count("--prefill-tokens", values["prefill-tokens"] ?? "4000", 1000, 100_000),
      decodeTokens: 64,
      threadRounds: 3,
    },
    fleet: {
      ...DEFAULT_FLEET_BENCH,
      sessions: count("--sessions", values.sessions ?? String(DEFAULT_FLEET_BENCH.sessions), 1, 64),
      turns: count("--turns", values.turns ?? String(DEFAULT_FLEET_BENCH.turns), 2, 32),
      prefixTokens: count(
        "--prefix-tokens",
        values["prefix-tokens"] ?? String(DEFAULT_FLEET_BENCH.prefixTokens),
        256,
        60_000,
      ),
      sequencesPerNode: count(
        "--sequences",
        values.sequences ?? String(DEFAULT_FLEET_BENCH.sequencesPerNode),
        1,
        64,
      ),
    },
    maxMs: seconds("--max-minutes", values["max-minutes"] ?? "20") * 60,
    outDir: values.out ?? "bench-results",
    waitQuietMs: values["wait-quiet"] === "0" ? 0 : seconds("--wait-quiet", values["wait-quiet"] ?? "60"),
    quietPercent: 20,
  };
}

function count(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${flag}: expected a whole number in ${min}..${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

function list(flag: string, text: string, max: number): number[] {
  const values = text.split(",").map((item) => count(flag, item.trim(), 1, max));
  return [...new Set(values)].sort((a, b) => a - b);
}

/** Seconds (fractions allowed) → milliseconds. */
function seconds(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > 3600) {
    throw new Error(`${flag}: expected seconds in (0, 3600], got ${JSON.stringify(text)}`);
  }
  return Math.round(value * 1000);
}
