import { Pool } from "undici";
import { percentile } from "./stats.js";

export interface LoadOptions {
  origin: string;
  path: string;
  body: string;
  /** Concurrent clients, each with its own keep-alive connection, sending back to back. */
  clients: number;
  durationMs: number;
  /** Untimed load first, on the same connections (connects, JIT, pools). */
  warmupMs: number;
  timeoutMs: number;
}

/** Called right before and right after the measured phase (to read CPU counters of the servers). */
export interface LoadHooks {
  atStart?: () => void;
  atEnd?: () => void;
}

export interface LoadResult {
  clients: number;
  requests: number;
  errors: number;
  firstError: string | undefined;
  elapsedMs: number;
  reqPerS: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The measured phase on the monotonic clock of `process.hrtime` (and of V8 CPU profiles), µs. */
  window: { startUs: number; endUs: number };
}

/**
 * A closed-loop load generator: `clients` loops, each sending the next request when the previous
 * response body has been read in full. Requests still in flight at the end are waited for and counted.
 */
export async function runClosedLoop(options: LoadOptions, hooks: LoadHooks = {}): Promise<LoadResult> {
  const pool = new Pool(options.origin, {
    connections: options.clients,
    pipelining: 1,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const once = async (): Promise<number> => {
    const started = performance.now();
    const response = await pool.request({
      method: "POST",
      path: options.path,
      headers: { "content-type": "application/json" },
      body: options.body,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
    return performance.now() - started;
  };
  const loop = async (until: number, record: boolean): Promise<void> => {
    while (performance.now() < until) {
      try {
        const latency = await once();
        if (record) latencies.push(latency);
      } catch (error) {
        if (!record) continue;
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  const all = (until: number, record: boolean): Promise<void[]> =>
    Promise.all(Array.from({ length: options.clients }, () => loop(until, record)));
  try {
    await all(performance.now() + options.warmupMs, false);
    hooks.atStart?.();
    const started = performance.now();
    const startUs = monotonicUs();
    await all(started + options.durationMs, true);
    const elapsedMs = performance.now() - started;
    const window = { startUs, endUs: monotonicUs() };
    hooks.atEnd?.();
    return {
      clients: options.clients,
      requests: latencies.length,
      errors,
      firstError,
      elapsedMs,
      reqPerS: latencies.length / (elapsedMs / 1000),
      p50Ms: percentile(latencies, 50),
      p90Ms: percentile(latencies, 90),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.length > 0 ? latencies.reduce((max, value) => Math.max(max, value)) : Number.NaN,
      window,
    };
  } finally {
    await pool.close();
  }
}

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
