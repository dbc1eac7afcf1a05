import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testTool } from "@cortex/testkit/test-tool";

/** Path of the `codex` launcher that `npm test`'s set-up installed into `.cache/codex/`. */
export function codexCli(): string {
  return testTool("codex");
}

export interface CodexRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A CODEX_HOME with cortex as the model provider, and a working directory; removed by `close`. */
export interface CodexHome {
  home: string;
  cwd: string;
  close(): Promise<void>;
}

export interface CodexProvider {
  /** The gateway's OpenAI base URL, `/v1` included. */
  baseUrl: string;
  model: string;
  /** The provider's `env_key`: the environment variable Codex sends as `Authorization: Bearer`. */
  envKey?: string;
  /**
   * A small prompt: short base instructions, no skills, sub-agent, goal or web-search tools (the default
   * prompt is ~12k tokens, which a CPU prefills in ~30 s with the test models).
   */
  slim?: boolean;
}

const SLIM_INSTRUCTIONS = "You are a coding agent running in the Codex CLI. Be brief.\n";

/**
 * The provider block docs/api-conformance.md documents, in a fresh CODEX_HOME (Codex reads only
 * `$CODEX_HOME/config.toml`, so the user's own configuration never leaks in).
 */
export async function codexHome(provider: CodexProvider): Promise<CodexHome> {
  const home = await mkdtemp(join(tmpdir(), "cortex-codex-home-"));
  const cwd = await mkdtemp(join(tmpdir(), "cortex-codex-cwd-"));
  const instructions = join(home, "instructions.md");
  if (provider.slim) await writeFile(instructions, SLIM_INSTRUCTIONS);
  await writeFile(
    join(home, "config.toml"),
    [
      `model = ${JSON.stringify(provider.model)}`,
      'model_provider = "cortex"',
      ...(provider.slim
        ? [
            `model_instructions_file = ${JSON.stringify(instructions)}`,
            'web_search = "disabled"',
            "[features]",
            "goals = false",
            "[agents]",
            "enabled = false",
            "[skills]",
            "include_instructions = false",
          ]
        : []),
      "",
      "[model_providers.cortex]",
      'name = "cortex"',
      `base_url = ${JSON.stringify(provider.baseUrl)}`,
      'wire_api = "responses"',
      ...(provider.envKey ? [`env_key = ${JSON.stringify(provider.envKey)}`] : []),
      "",
    ].join("\n"),
  );
  return {
    home,
    cwd,
    close: async () => {
      await rm(home, { recursive: true, force: true });
      await rm(cwd, { recursive: true, force: true });
    },
  };
}

/**
 * `codex <args>` with `home` as CODEX_HOME, no TTY (stdin closed: `exec` reads no extra prompt), and a
 * hard limit: the process is killed after `timeoutMs`.
 */
export async function runCodex(
  binary: string,
  home: CodexHome,
  args: readonly string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CodexRun> {
  const child = spawn(binary, args, {
    cwd: home.cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home.home,
      CODEX_HOME: home.home,
      ...options.env,
    },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 90_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
  }).finally(() => clearTimeout(timer));
  return { code, signal, stdout, stderr };
}
