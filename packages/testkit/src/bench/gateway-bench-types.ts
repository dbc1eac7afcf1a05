import type { GatewayBenchOptions } from "./bench-options.js";
import type { LoadResult } from "./closed-loop-load.js";
import type { ProfileDigest } from "./cpu-profile-digest.js";
import type { BackendKind } from "./gateway-backends.js";
import type { HopKind } from "./spawn-bench-processes.js";

export type ProxyPath = "direct" | "proxy" | "cortex";
export const PROXY_PATHS: readonly ProxyPath[] = ["direct", "proxy", "cortex"];

export const CHAT_PATH = "/v1/chat/completions";
export const REQUEST_TIMEOUT_MS = 30_000;

export interface LoadRun extends LoadResult {
  backend: BackendKind;
  path: ProxyPath;
  round: number;
  /** CPU time of the proxy or cortex process per completed request, µs (none for direct). */
  hopCpuUsPerRequest: number | undefined;
  /** CPU time of the backend process per completed request, µs. */
  backendCpuUsPerRequest: number | undefined;
}

export interface TtftRun {
  backend: BackendKind;
  path: ProxyPath;
  ttftMs: number[];
  errors: number;
}

export interface HopProfile {
  kind: HopKind;
  load: LoadResult;
  digest: ProfileDigest;
  /** The raw `.cpuprofile`, for Chrome DevTools or speedscope. */
  file: string;
}

/** cortex and the minimal proxy profiled under the same load, in front of the fake neuron. */
export interface HopProfiles {
  reason: string;
  cortex: HopProfile;
  proxy: HopProfile;
}

export interface GatewayBenchResult {
  kind: "gateway";
  options: GatewayBenchOptions;
  backends: BackendKind[];
  runs: LoadRun[];
  ttft: TtftRun[];
  profile: HopProfiles | undefined;
  skipped: readonly string[];
}

/** The same list started `by` places later, so no path always runs first. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = ((by % items.length) + items.length) % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
