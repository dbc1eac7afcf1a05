import { copyFile, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { repoRoot } from "../repo-root.js";
import type { GatewayBenchOptions } from "./bench-options.js";
import { runClosedLoop } from "./closed-loop-load.js";
import { digestCpuProfile, type CpuProfile } from "./cpu-profile-digest.js";
import { startBackend } from "./gateway-backends.js";
import { CHAT_PATH, REQUEST_TIMEOUT_MS, type HopProfile } from "./gateway-bench-types.js";
import { SourceLocator } from "./source-locator.js";
import { spawnHop, type HopKind, type HopProcess } from "./spawn-bench-processes.js";
import { waitReady } from "./wait-ready.js";

export const PROFILE_CLIENTS = 16;

/**
 * One hop (cortex or the minimal proxy) under `node --cpu-prof` in front of the fake neuron, loaded by
 * `PROFILE_CLIENTS` clients; only samples from the measured phase count (start-up, warm-up and shutdown
 * are cut off). Profiling both under the same load shows what cortex spends beyond the floor.
 */
export async function profileHop(
  kind: HopKind,
  options: Pick<GatewayBenchOptions, "durationMs" | "warmupMs" | "parallel">,
  body: string,
  profilePath: string,
): Promise<HopProfile> {
  const backend = await startBackend("fake", options.parallel);
  let hop: HopProcess | undefined;
  try {
    hop = await spawnHop(kind, backend.url, { cpuProfile: true });
    await waitReady(hop.url, CHAT_PATH, body, 60_000);
    const load = await runClosedLoop({
      origin: hop.url,
      path: CHAT_PATH,
      body,
      clients: PROFILE_CLIENTS,
      durationMs: Math.max(5000, options.durationMs * 2),
      warmupMs: Math.max(1000, options.warmupMs),
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    // SIGTERM: the process closes and exits normally, which is when --cpu-prof writes the profile.
    await hop.stop();
    const dir = hop.profileDir ?? "";
    const name = (await readdir(dir)).find((file) => file.endsWith(".cpuprofile"));
    if (name === undefined) throw new Error(`${kind} wrote no .cpuprofile into ${dir}`);
    await copyFile(join(dir, name), profilePath);
    const profile = JSON.parse(await readFile(profilePath, "utf8")) as CpuProfile;
    const locator = new SourceLocator(repoRoot());
    const digest = digestCpuProfile(profile, {
      top: 25,
      locate: (url, line, column) => locator.locate(url, line, column),
      areaOf: (url, functionName) => locator.areaOf(url, functionName),
      window: load.window,
      focus: (url) => url.includes("/packages/") && !url.includes("/node_modules/"),
    });
    return { kind, load, digest, file: profilePath };
  } finally {
    await hop?.stop();
    await hop?.cleanup();
    await backend.stop();
  }
}
