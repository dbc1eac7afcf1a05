import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";

/** Other processes as this one sees them: CLI processes it starts and waits for, pids it checks. */

export interface SpawnedProcess {
  child: ChildProcess;
  /** The URL the process printed as `... listening on <url>`. */
  url: string;
  output: () => string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/**
 * Starts a cortex/neuron CLI process and resolves once it prints its listening line, so tests wait on an
 * event, not on time. Output is kept for failure messages.
 */
export async function spawnListening(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; pattern?: RegExp } = {},
): Promise<SpawnedProcess> {
  const child = spawn(command, args, {
    env: { ...process.env, CORTEX_LOG_LEVEL: "warn", ...options.env },
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const pattern = options.pattern ?? /listening on (http:\/\/\S+)/;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${command} ${args.join(" ")}:\n${output}`)),
      options.timeoutMs ?? 60_000,
    );
    const onData = (data: Buffer): void => {
      output += data.toString();
      const match = pattern.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    child,
    url,
    output: () => output,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, "exit")) as [number | null];
      return code;
    },
  };
}

/**
 * Whether a process with this pid exists (signal 0 only checks). EPERM means it exists under another
 * user. Used to clean up what dead processes left behind (partial conversions, KV state folders); a
 * reused pid keeps a stale file until that process is gone too.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
