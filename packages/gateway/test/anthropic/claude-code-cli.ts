import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testTool } from "@cortex/testkit/test-tool";

/** Path of the `claude` binary that `npm test`'s set-up installed into `.cache/claude-code/`. */
export function claudeCode(): string {
  return testTool("claude-code");
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
