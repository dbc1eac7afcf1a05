import { execFile, spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "@cortex/testkit";

/**
 * The Claude Code version whose wire format API-SPEC.md was written from. Its engines field allows Node
 * ≥ 18 and its `claude` is a native binary (from the platform package `@anthropic-ai/claude-code-<os>-
 * <arch>`), so the Node that runs the tests does not matter. Later versions declare Node ≥ 22.
 */
export const CLAUDE_CODE_VERSION = "2.1.197";

const run = promisify(execFile);

/**
 * Path of the `claude` binary, installed on first use into `<repo>/.cache/claude-code/` (gitignored,
 * outside the workspace's dependencies) from the npm registry with the ordinary npm client.
 */
export async function ensureClaudeCode(): Promise<string> {
  const prefix = join(repoRoot(), ".cache", "claude-code");
  const wrapper = join(prefix, "node_modules", "@anthropic-ai", "claude-code");
  if (!(await installedVersion(wrapper)).includes(CLAUDE_CODE_VERSION)) {
    await mkdir(prefix, { recursive: true });
    await run(
      "npm",
      [
        "install",
        "--prefix",
        prefix,
        "--save-exact",
        "--no-audit",
        "--no-fund",
        `@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}`,
      ],
      { timeout: 300_000 },
    );
  }
  const binary = join(wrapper, "bin", "claude.exe");
  // npm may skip the package's postinstall (allowScripts); it only links the platform binary into place.
  if (!existsSync(binary) || statSync(binary).size < 1_000_000) {
    await run(process.execPath, [join(wrapper, "install.cjs")], { cwd: wrapper, timeout: 120_000 });
  }
  const version = await installedVersion(wrapper);
  if (!version.includes(CLAUDE_CODE_VERSION))
    throw new Error(`claude --version says ${JSON.stringify(version)}`);
  return binary;
}

async function installedVersion(wrapper: string): Promise<string> {
  const binary = join(wrapper, "bin", "claude.exe");
  if (!existsSync(binary) || statSync(binary).size < 1_000_000) return "";
  try {
    return (await run(binary, ["--version"], { timeout: 30_000, env: { PATH: process.env.PATH } })).stdout;
  } catch {
    return "";
  }
}

export interface ClaudeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** `--output-format json`'s result object, when stdout parses. */
  result: ClaudeResult | undefined;
}

export interface ClaudeResult {
  type: string;
  subtype: string;
  is_error: boolean;
  result: string;
  num_turns: number;
  stop_reason: string | null;
  usage: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number };
}

/**
 * `claude <args>` in print mode against `baseUrl`, with a fresh HOME and working directory, no TTY
 * (stdin ignored), no non-essential traffic (it would otherwise call api.anthropic.com with our key), and
 * a hard limit: the process is killed after `timeoutMs`.
 */
export async function runClaude(
  binary: string,
  args: readonly string[],
  options: { baseUrl: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<ClaudeRun> {
  const home = await mkdtemp(join(tmpdir(), "cortex-claude-home-"));
  const cwd = await mkdtemp(join(tmpdir(), "cortex-claude-cwd-"));
  try {
    const child = spawn(binary, args, {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: home,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        DISABLE_AUTOUPDATER: "1",
        ANTHROPIC_BASE_URL: options.baseUrl,
        ...(options.env ?? { ANTHROPIC_API_KEY: "x" }),
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
    return { code, signal, stdout, stderr, result: parseResult(stdout) };
  } finally {
    await rm(home, { recursive: true, force: true });
    await rm(cwd, { recursive: true, force: true });
  }
}

function parseResult(stdout: string): ClaudeResult | undefined {
  try {
    return JSON.parse(stdout) as ClaudeResult;
  } catch {
    return undefined;
  }
}
