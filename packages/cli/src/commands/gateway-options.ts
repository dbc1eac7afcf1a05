import type { Command } from "commander";
import { UsageError } from "../cli-error.js";
import type { CortexIo } from "../cortex-io.js";
import { GatewayClient } from "../gateway-client.js";
import { isGatewayError } from "../gateway-error.js";

export const DEFAULT_GATEWAY = "http://127.0.0.1:31313";
export const DEFAULT_METRICS_PORT = "31314";

export interface GatewayFlags {
  gateway?: string;
}

/** `--gateway URL` (else `CORTEX_GATEWAY`, else the local default) on a command that talks to the gateway. */
export function withGatewayOption(command: Command): Command {
  return command.option(
    "-g, --gateway <url>",
    `gateway URL (default: $CORTEX_GATEWAY or ${DEFAULT_GATEWAY}); the admin key comes from $CORTEX_ADMIN_KEY`,
  );
}

export function gatewayUrl(flags: GatewayFlags, io: CortexIo): string {
  const fromEnv = io.env.CORTEX_GATEWAY === "" ? undefined : io.env.CORTEX_GATEWAY;
  const [what, value] =
    flags.gateway !== undefined
      ? ["--gateway", flags.gateway]
      : fromEnv !== undefined
        ? ["CORTEX_GATEWAY", fromEnv]
        : ["--gateway", DEFAULT_GATEWAY];
  return baseUrl(what, value).href.replace(/\/+$/, "");
}

export function gatewayClient(flags: GatewayFlags, io: CortexIo): GatewayClient {
  const adminKey = io.env.CORTEX_ADMIN_KEY;
  return new GatewayClient({
    url: gatewayUrl(flags, io),
    ...(adminKey !== undefined && adminKey !== "" ? { adminKey } : {}),
  });
}

/** `--metrics URL` (else `CORTEX_METRICS`, else the gateway's host on port 31314), ending in `/metrics`. */
export function metricsUrl(flags: { metrics?: string }, io: CortexIo, gateway: string): string {
  const fromEnv = io.env.CORTEX_METRICS === "" ? undefined : io.env.CORTEX_METRICS;
  let url: URL;
  if (flags.metrics !== undefined || fromEnv !== undefined) {
    const [what, value] =
      flags.metrics !== undefined ? ["--metrics", flags.metrics] : ["CORTEX_METRICS", fromEnv ?? ""];
    url = baseUrl(what, value);
  } else {
    url = new URL(gateway);
    url.port = DEFAULT_METRICS_PORT;
    url.pathname = "/";
  }
  if (url.pathname === "/") url.pathname = "/metrics";
  return url.href;
}

/** A positive whole number from a flag, or a usage error (exit 2). */
export function positiveInteger(flag: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new UsageError(`${flag} must be a whole number of at least 1, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/**
 * Runs a command body; a gateway failure becomes one `error:` line and its exit code (1 failed, 3
 * unreachable). Anything else goes on to `runProgram` (usage errors: exit 2).
 */
export async function runGatewayAction(io: CortexIo, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    io.stderr.write(`error: ${error.message}\n`);
    process.exitCode = error.exitCode;
  }
}

function baseUrl(what: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${what}: not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${what}: must be an http:// or https:// URL, got ${JSON.stringify(value)}`);
  }
  url.search = "";
  url.hash = "";
  return url;
}
