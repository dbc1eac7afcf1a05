import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { parseCortexConfig, parseModelsConfig } from "@cortex/core";
import { startGateway, type RunningGateway } from "@cortex/gateway";
import { startFakeNeuron, type FakeNeuron } from "@cortex/testkit";
import { pino } from "pino";

export const CORTEX_BIN = fileURLToPath(new URL("../bin/cortex.js", import.meta.url));
export const ADMIN_KEY = "test-admin-key";
const MiB = 1024 ** 2;

export interface TestFleet {
  gateway: RunningGateway;
  alpha: FakeNeuron;
  /** A configured node nothing listens for: always down. */
  deadPort: number;
  close(): Promise<void>;
}

/**
 * A real gateway (admin key on, fast polls) in front of one fake CPU neuron "alpha" (warm loaded, cold
 * not, 100 MiB budget) and one node "beta" that never answers. `warm` has the alias `w`.
 */
export async function startTestFleet(): Promise<TestFleet> {
  const deadPort = await freePort();
  const alpha = await startFakeNeuron({
    name: "alpha",
    memoryTotal: 100 * MiB,
    models: [
      { id: "warm", memory: 30 * MiB, loaded: true },
      { id: "cold", memory: 50 * MiB },
    ],
  });
  const config = parseCortexConfig(
    [
      `[gateway]`,
      `listen = "127.0.0.1:0"`,
      `metrics_listen = "127.0.0.1:0"`,
      `admin_key = "${ADMIN_KEY}"`,
      `[fleet]`,
      `poll_interval = "100ms"`,
      `down_after = 1`,
      `[[neurons]]`,
      `name = "alpha"`,
      `endpoint = "${alpha.url}"`,
      `[[neurons]]`,
      `name = "beta"`,
      `endpoint = "http://127.0.0.1:${deadPort}"`,
    ].join("\n"),
    "<cli test>",
    process.cwd(),
  );
  const models = parseModelsConfig(`[[models]]\nid = "warm"\naliases = ["w"]\n`, "<cli test>", process.cwd());
  const gateway = await startGateway({ config, models, logger: pino({ level: "silent" }) });
  return {
    gateway,
    alpha,
    deadPort,
    close: async () => {
      await gateway.close();
      await alpha.close();
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a CLI child gets: ours without any CORTEX_* or NO_COLOR, plus `env`. */
export function cliEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(
    ([name]) => !name.startsWith("CORTEX_") && name !== "NO_COLOR",
  );
  return { ...Object.fromEntries(inherited), ...env };
}

/** Starts `node bin/cortex.js ...args` with piped output. */
export function spawnCli(args: readonly string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [CORTEX_BIN, ...args], {
    env: cliEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Runs the built CLI to its end; with the admin key unless `env` overrides it. */
export async function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawnCli(args, { CORTEX_ADMIN_KEY: ADMIN_KEY, ...env });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (data: Buffer) => (stdout += data.toString()));
  child.stderr?.on("data", (data: Buffer) => (stderr += data.toString()));
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout, stderr };
}

/** A loopback port nothing listens on (taken from the OS, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One streamed chat request through the gateway, slow enough to record a decode rate for alpha. */
export async function streamOneChat(fleet: TestFleet): Promise<void> {
  fleet.alpha.set({ tokenDelayMs: 2 });
  const response = await fetch(`${fleet.gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "warm",
      stream: true,
      max_tokens: 8,
      messages: [{ role: "user", content: "hi" }],
    }),
  });
  await response.text();
  fleet.alpha.set({ tokenDelayMs: 0 });
}
