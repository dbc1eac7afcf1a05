import { execFile } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

/**
 * What the test suite needs from the machine (a browser, rpmbuild), found or installed the way the
 * ecosystem does it, so `npm test` works by itself on a fresh machine. Each tool resolves to a path or
 * to the one command that fixes its absence; nothing here ever skips a test.
 */
export type Provisioned =
  | { ok: true; path: string; how: string }
  | {
      ok: false;
      /** One line: why the tool is missing and the command that fixes it. */
      fix: string;
    };

const run = promisify(execFile);

/** The first executable named `name` on PATH. */
export function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `sudo -n` when not root and passwordless sudo works; `""` as root; undefined when neither. */
async function privilege(): Promise<string | undefined> {
  if (process.getuid?.() === 0) return "";
  if (which("sudo") === undefined) return undefined;
  try {
    await run("sudo", ["-n", "true"], { timeout: 10_000 });
    return "sudo";
  } catch {
    return undefined;
  }
}

/** Debian and Ubuntu: the package manager the suite may use to install a missing system tool. */
export function hasApt(): boolean {
  return process.platform === "linux" && existsSync("/usr/bin/apt-get") && existsSync("/usr/bin/dpkg");
}

/**
 * `apt-get install -y <packages>` (after one `apt-get update`) when this is Debian/Ubuntu and we are root
 * or have passwordless sudo. Waits for a dpkg lock held by another install (two test runs at once).
 * Returns undefined on success, else why it could not.
 */
export async function aptInstall(packages: readonly string[]): Promise<string | undefined> {
  if (!hasApt()) return "not a Debian/Ubuntu system";
  const sudo = await privilege();
  if (sudo === undefined) return "installing needs root or passwordless sudo";
  const prefix = sudo === "" ? [] : [sudo];
  const lock = ["-o", "DPkg::Lock::Timeout=600"];
  const exec = async (args: string[]): Promise<void> => {
    const [command, ...rest] = [...prefix, ...args];
    await run(command as string, rest, {
      timeout: 900_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  };
  try {
    await exec(["apt-get", ...lock, "update", "-qq"]);
    await exec(["apt-get", ...lock, "install", "-y", "-qq", "--no-install-recommends", ...packages]);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return `apt-get install ${packages.join(" ")} failed: ${lastLine(message)}`;
  }
}

/** The command a user runs to install Debian packages by hand. */
export function aptCommand(packages: readonly string[]): string {
  const sudo = process.getuid?.() === 0 ? "" : "sudo ";
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(" ")}`;
}

/** A system command found on PATH, else installed from Debian's `aptPackage`. */
export async function provisionCommand(command: string, aptPackage: string): Promise<Provisioned> {
  const found = which(command);
  if (found !== undefined) return { ok: true, path: found, how: "found on PATH" };
  const failed = await aptInstall([aptPackage]);
  const installed = which(command);
  if (failed === undefined && installed !== undefined)
    return { ok: true, path: installed, how: `installed Debian package ${aptPackage}` };
  const fix = hasApt()
    ? aptCommand([aptPackage])
    : `install ${command} (package ${aptPackage}) with your package manager`;
  return { ok: false, fix: `${command} not found (${failed ?? "not on PATH after install"}); fix: ${fix}` };
}

/** The line of a failed command's output that says what went wrong (its first `Error`, else its last). */
export function lastLine(text: string): string {
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("at "));
  const error = lines.find((line) => /^(E:|error\b|Error\b)/i.test(line));
  return (error ?? lines.at(-1) ?? text.trim()).slice(0, 300);
}
