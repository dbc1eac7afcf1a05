import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnListening, type SpawnedProcess } from "@cortex/core";
import { repoRoot } from "../repo-root.js";

export type HopKind = "proxy" | "cortex";

export interface HopProcess extends SpawnedProcess {
  /** Removes the process's scratch folder (config, profile). */
  cleanup: () => Promise<void>;
  /** Folder where `--cpu-prof` writes its `.cpuprofile` on exit, when profiling. */
  profileDir: string | undefined;
}

/**
 * The process between the load generator and the neuron: the minimal proxy (built) or `cortex serve`
 * with one neuron; loopback only, warn-level logs, optionally under `node --cpu-prof`.
 */
export async function spawnHop(
  kind: HopKind,
  neuronUrl: string,
  options: { cpuProfile?: boolean } = {},
): Promise<HopProcess> {
  const dir = await mkdtemp(join(tmpdir(), `cortex-bench-${kind}-`));
  const profileDir = options.cpuProfile === true ? join(dir, "profile") : undefined;
  const nodeFlags = profileDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", profileDir];
  const args =
    kind === "proxy"
      ? [join(repoRoot(), "packages/testkit/dist/bench/minimal-proxy-main.js"), "--upstream", neuronUrl]
      : [
          join(repoRoot(), "packages/cli/bin/cortex.js"),
          "serve",
          "--config",
          await writeCortexConfig(dir, neuronUrl),
        ];
  try {
    const spawned = await spawnListening(process.execPath, [...nodeFlags, ...args], { timeoutMs: 30_000 });
    return { ...spawned, profileDir, cleanup: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function writeCortexConfig(dir: string, neuronUrl: string): Promise<string> {
  const path = join(dir, "cortex.toml");
  await writeFile(
    path,
    [
      "[gateway]",
      `listen = "127.0.0.1:0"`,
      `metrics_listen = "127.0.0.1:0"`,
      "[fleet]",
      `poll_interval = "1s"`,
      "[[neurons]]",
      `name = "bench"`,
      `endpoint = "${neuronUrl}"`,
      "",
    ].join("\n"),
  );
  return path;
}
