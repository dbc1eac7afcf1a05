import type { GatewayBenchOptions } from "./bench-options.js";
import { chatBody } from "./chat-body.js";
import { runClosedLoop } from "./closed-loop-load.js";
import type { Deadline } from "./deadline.js";
import { GATEWAY_BENCH_MODEL_ID, startBackend, type Backend, type BackendKind } from "./gateway-backends.js";
import {
  CHAT_PATH,
  PROXY_PATHS,
  REQUEST_TIMEOUT_MS,
  rotate,
  type HopProfiles,
  type GatewayBenchResult,
  type LoadRun,
  type ProxyPath,
  type TtftRun,
} from "./gateway-bench-types.js";
import { summarizeGatewayBench } from "./gateway-report.js";
import { measureStreamTtft } from "./measure-stream-ttft.js";
import { processCpuMs } from "./process-cpu.js";
import { profileHop } from "./profile-hops.js";
import { spawnHop, type HopProcess } from "./spawn-bench-processes.js";
import { waitReady } from "./wait-ready.js";

interface Paths {
  backend: Backend;
  targets: Record<ProxyPath, string>;
  /** The process in the middle of each path. */
  hopPids: Record<ProxyPath, number | undefined>;
  stop: () => Promise<void>;
}

/**
 * The same small chat requests straight to a neuron, through the minimal proxy and through cortex,
 * against the fake neuron (pure proxy cost) and a real one (tiny model), each server its own process.
 */
export async function runGatewayBench(
  options: GatewayBenchOptions,
  deadline: Deadline,
  log: (line: string) => void,
  /** Where the raw profiles go: `<profileBase>-cortex.cpuprofile` and `-proxy`. */
  profileBase: string,
): Promise<GatewayBenchResult> {
  const backends: BackendKind[] = options.fakeOnly ? ["fake"] : ["fake", "neuron"];
  const runs: LoadRun[] = [];
  const ttft: TtftRun[] = [];
  const body = chatBody(GATEWAY_BENCH_MODEL_ID, "Say hi.", options.maxTokens, false);
  const perRunMs = options.durationMs + options.warmupMs;
  for (const kind of backends) {
    if (!deadline.allows(`gateway bench on the ${kind} backend`, perRunMs * PROXY_PATHS.length)) continue;
    log(`gateway bench: starting the ${kind} backend, the minimal proxy and cortex`);
    const paths = await startPaths(kind, options.parallel, body);
    try {
      for (const [levelIndex, clients] of options.clients.entries()) {
        for (let round = 0; round < options.rounds; round++) {
          const what = `gateway ${kind} c=${clients} round ${round + 1}`;
          if (!deadline.allows(what, perRunMs * PROXY_PATHS.length)) break;
          for (const path of rotate(PROXY_PATHS, round + levelIndex)) {
            const hop = paths.hopPids[path];
            const cpu = { hop: [] as (number | undefined)[], backend: [] as (number | undefined)[] };
            const read = (): void => {
              cpu.hop.push(processCpuMs(hop));
              cpu.backend.push(processCpuMs(paths.backend.pid));
            };
            const result = await runClosedLoop(
              {
                origin: paths.targets[path],
                path: CHAT_PATH,
                body,
                clients,
                durationMs: options.durationMs,
                warmupMs: options.warmupMs,
                timeoutMs: REQUEST_TIMEOUT_MS,
              },
              { atStart: read, atEnd: read },
            );
            runs.push({
              ...result,
              backend: kind,
              path,
              round,
              hopCpuUsPerRequest: perRequestUs(cpu.hop, result.requests),
              backendCpuUsPerRequest: perRequestUs(cpu.backend, result.requests),
            });
          }
          log(`  ${kind} c=${clients} round ${round + 1}: ${describeLast(runs)}`);
        }
      }
      if (deadline.allows(`streaming TTFT on the ${kind} backend`)) {
        ttft.push(...(await measureStreamTtft(kind, GATEWAY_BENCH_MODEL_ID, paths.targets, options)));
      }
    } finally {
      await paths.stop();
    }
  }
  const partial: GatewayBenchResult = {
    kind: "gateway",
    options,
    backends,
    runs,
    ttft,
    profile: undefined,
    skipped: [],
  };
  const verdict = summarizeGatewayBench(partial);
  const reason = options.profile
    ? "--profile"
    : verdict.targetsMet === false
      ? `targets missed: ${verdict.missed.join("; ")}`
      : undefined;
  let profile: HopProfiles | undefined;
  if (reason !== undefined && deadline.allows("CPU profiles", options.durationMs * 4)) {
    log(`gateway bench: profiling cortex and the minimal proxy (${reason})`);
    const cortex = await profileHop("cortex", options, body, `${profileBase}-cortex.cpuprofile`);
    const proxy = await profileHop("proxy", options, body, `${profileBase}-proxy.cpuprofile`);
    profile = { reason, cortex, proxy };
  }
  return { ...partial, profile, skipped: deadline.skipped };
}

async function startPaths(kind: BackendKind, parallel: number, body: string): Promise<Paths> {
  const backend = await startBackend(kind, parallel);
  const started: HopProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const hop of started) {
      await hop.stop();
      await hop.cleanup();
    }
    await backend.stop();
  };
  try {
    const proxy = await spawnHop("proxy", backend.url);
    started.push(proxy);
    const cortex = await spawnHop("cortex", backend.url);
    started.push(cortex);
    const targets = { direct: backend.url, proxy: proxy.url, cortex: cortex.url };
    for (const origin of Object.values(targets)) await waitReady(origin, CHAT_PATH, body, 60_000);
    const hopPids = { direct: undefined, proxy: proxy.child.pid, cortex: cortex.child.pid };
    return { backend, targets, hopPids, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function perRequestUs(readings: (number | undefined)[], requests: number): number | undefined {
  const [start, end] = readings;
  return start === undefined || end === undefined || requests === 0
    ? undefined
    : ((end - start) * 1000) / requests;
}

function describeLast(runs: readonly LoadRun[]): string {
  return runs
    .slice(-PROXY_PATHS.length)
    .map(
      (run) =>
        `${run.path} ${run.reqPerS.toFixed(0)} req/s p50 ${run.p50Ms.toFixed(2)} ms${run.errors > 0 ? ` (${run.errors} errors)` : ""}`,
    )
    .join(", ");
}
