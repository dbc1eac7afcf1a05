import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import {
  aptCommand,
  aptInstall,
  hasApt,
  isExecutable,
  lastLine,
  which,
  type Provisioned,
} from "./system-tools.js";

const run = promisify(execFile);

/** Set to a browser binary to use it instead of searching (any Chromium or Chrome). */
export const CHROMIUM_ENV = "CORTEX_TEST_CHROMIUM";

/**
 * Flags for headless Chromium on a closed network: without the background-networking ones, Chromium
 * keeps opening connections to Google's hosts that a sandboxed CI machine refuses, and as root it needs
 * --no-sandbox.
 */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const SYSTEM_BROWSERS: Partial<Record<NodeJS.Platform, string[]>> = {
  linux: ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"],
  darwin: [
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
  ],
  win32: [
    "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
    "C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe",
  ],
};

/** A Chromium the dashboard test can drive, found without installing anything. */
export function findChromium(): { path: string; how: string } | undefined {
  const override = process.env[CHROMIUM_ENV];
  if (override !== undefined && override !== "") return { path: override, how: `from ${CHROMIUM_ENV}` };
  const managed = chromium.executablePath();
  if (existsSync(managed)) return { path: managed, how: "Playwright-managed Chromium" };
  for (const name of SYSTEM_BROWSERS[process.platform] ?? []) {
    const path =
      name.includes("/") || name.includes("\\") ? (isExecutable(name) ? name : undefined) : which(name);
    if (path !== undefined) return { path, how: "system browser" };
  }
  return undefined;
}

/**
 * The order the ecosystem uses: a Playwright-managed Chromium, a system Chromium/Chrome, else install one —
 * Playwright's own download where the network allows it, then Debian/Ubuntu's `chromium` through apt where
 * we are root or have passwordless sudo. `report` gets one line before anything slow starts.
 */
export async function provisionChromium(report: (line: string) => void): Promise<Provisioned> {
  const found = findChromium();
  if (found !== undefined) return { ok: true, ...found };

  report("chromium: no browser found, trying `playwright-core install chromium` …");
  const playwright = await playwrightInstall();
  const managed = chromium.executablePath();
  if (playwright === undefined && existsSync(managed))
    return { ok: true, path: managed, how: "installed by Playwright" };

  let apt: string | undefined = "not a Debian/Ubuntu system";
  if (hasApt()) {
    report(
      `chromium: Playwright's download failed (${playwright ?? "no binary"}); trying Debian's chromium through apt …`,
    );
    apt = await aptInstall(["chromium"]);
    const system = findChromium();
    if (apt === undefined && system !== undefined)
      return { ok: true, path: system.path, how: "installed Debian package chromium" };
  }
  const fix = hasApt() ? aptCommand(["chromium"]) : "npx playwright-core install chromium";
  return {
    ok: false,
    fix: `chromium not found and not installable here (playwright: ${playwright ?? "no binary"}; apt: ${apt ?? "no binary"}); fix: ${fix}`,
  };
}

/** Playwright's browser download; undefined on success, else why it failed. */
async function playwrightInstall(): Promise<string | undefined> {
  const cli = join(dirname(createRequire(import.meta.url).resolve("playwright-core/package.json")), "cli.js");
  try {
    await run(process.execPath, [cli, "install", "chromium"], {
      timeout: 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return undefined;
  } catch (error) {
    const failure = error as { stderr?: string; message?: string };
    return lastLine(
      failure.stderr !== undefined && failure.stderr !== "" ? failure.stderr : String(failure.message),
    );
  }
}
