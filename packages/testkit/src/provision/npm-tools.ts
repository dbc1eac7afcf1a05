import { execFile } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "../repo-root.js";
import { lastLine, type Provisioned } from "./system-tools.js";

const run = promisify(execFile);

/**
 * A command-line program the end-to-end tests drive, installed from the npm registry at a pinned version
 * into `<repo>/.cache/<name>/` (gitignored, outside the workspace's dependencies so `npm ci` stays what
 * the lockfile says) on first use, and reused afterwards.
 */
export interface NpmCli {
  /** Folder name under `.cache/` and the name in the set-up lines. */
  name: string;
  package: string;
  version: string;
  /** The runnable binary inside the install prefix. */
  binary: (prefix: string) => string;
  /** Completes an install whose package script npm skipped (npm ≥ 11 runs only allow-listed scripts). */
  finish?: (prefix: string) => Promise<void>;
  /** What the first install downloads, for the set-up line. */
  size: string;
}

/** The pinned CLI, installed when its `--version` does not print the pinned version. */
export async function provisionNpmCli(cli: NpmCli, report: (line: string) => void): Promise<Provisioned> {
  const prefix = join(repoRoot(), ".cache", cli.name);
  const binary = cli.binary(prefix);
  if ((await versionOf(binary)).includes(cli.version)) return { ok: true, path: binary, how: "cached" };

  report(
    `${cli.name}: installing ${cli.package}@${cli.version} into .cache/${cli.name} (${cli.size}, first run only) …`,
  );
  try {
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
        `${cli.package}@${cli.version}`,
      ],
      { timeout: 600_000, maxBuffer: 64 * 1024 * 1024 },
    );
    if (!(await versionOf(binary)).includes(cli.version)) await cli.finish?.(prefix);
  } catch (error) {
    const failure = error as { stderr?: string; message?: string };
    return {
      ok: false,
      fix: `${cli.name}: npm install ${cli.package}@${cli.version} failed (${lastLine(failure.stderr || String(failure.message))}); fix: npm install --prefix .cache/${cli.name} ${cli.package}@${cli.version}`,
    };
  }
  const version = await versionOf(binary);
  if (!version.includes(cli.version))
    return {
      ok: false,
      fix: `${cli.name}: ${binary} --version printed ${JSON.stringify(version.trim())}, not ${cli.version}; fix: rm -rf .cache/${cli.name} and run npm test again`,
    };
  return { ok: true, path: binary, how: "installed" };
}

function isBinary(path: string): boolean {
  return existsSync(path) && statSync(path).size > 0;
}

async function versionOf(binary: string): Promise<string> {
  if (!isBinary(binary)) return "";
  try {
    return (await run(binary, ["--version"], { timeout: 30_000, env: { PATH: process.env.PATH } })).stdout;
  } catch {
    return "";
  }
}

/**
 * Claude Code, the version whose wire format the Anthropic dialect was recorded from (docs/api-conformance.md).
 * Its engines field allows Node ≥ 18 and its `claude` is a native binary from the platform package
 * `@anthropic-ai/claude-code-<os>-<arch>`, so the Node running the tests does not matter; later versions
 * declare Node ≥ 22.
 */
export const CLAUDE_CODE: NpmCli = {
  name: "claude-code",
  package: "@anthropic-ai/claude-code",
  version: "2.1.197",
  binary: (prefix) => join(prefix, "node_modules", "@anthropic-ai", "claude-code", "bin", "claude.exe"),
  // The package's postinstall only links the platform binary into bin/; run it when npm skipped it.
  finish: async (prefix) => {
    const wrapper = join(prefix, "node_modules", "@anthropic-ai", "claude-code");
    await run(process.execPath, [join(wrapper, "install.cjs")], { cwd: wrapper, timeout: 120_000 });
  },
  size: "≈ 235 MB",
};

/**
 * Codex CLI, the version whose Responses API requests were recorded (docs/api-conformance.md). The npm
 * package is a Node launcher (`bin/codex.js`, any Node ≥ 16) for a native binary in the platform package
 * `@openai/codex-<os>-<arch>` that npm installs as an optional dependency.
 */
export const CODEX: NpmCli = {
  name: "codex",
  package: "@openai/codex",
  version: "0.169.0",
  binary: (prefix) => join(prefix, "node_modules", "@openai", "codex", "bin", "codex.js"),
  size: "≈ 165 MB download, 405 MB on disk",
};
