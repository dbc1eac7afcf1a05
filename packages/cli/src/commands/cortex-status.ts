import { setTimeout as delay } from "node:timers/promises";
import { Command } from "commander";
import { wantsColor, type CortexIo } from "../cortex-io.js";
import { decodeRates, parseDecodeRates, type RateSample } from "../decode-rates.js";
import { fetchMetricsText, type GatewayClient } from "../gateway-client.js";
import { isGatewayError } from "../gateway-error.js";
import type { Fleet } from "../gateway-types.js";
import { formatStatus } from "../format/format-status.js";
import {
  gatewayClient,
  metricsUrl,
  runGatewayAction,
  withGatewayOption,
  type GatewayFlags,
} from "./gateway-options.js";

interface StatusFlags extends GatewayFlags {
  metrics?: string;
  json?: boolean;
  watch?: boolean;
}

interface Snapshot {
  fleet: Fleet;
  /** Undefined when the metrics endpoint could not be read. */
  samples: Map<string, RateSample> | undefined;
  rates: Map<string, number> | undefined;
}

export const WATCH_INTERVAL_MS = 2_000;
const CLEAR_SCREEN = "\x1b[H\x1b[2J";

/** `cortex status`: the fleet table (or JSON), once or redrawn every 2 s with `--watch`. */
export function cortexStatusCommand(io: CortexIo): Command {
  return withGatewayOption(new Command("status"))
    .description("the fleet: node health, backend, GPUs, memory, loaded models, in-flight requests, tok/s")
    .option(
      "--metrics <url>",
      "the gateway's metrics URL, for tok/s (default: $CORTEX_METRICS or the gateway's host on port 31314)",
    )
    .option("--json", "print JSON: /admin/fleet plus decode_tokens_per_second per node")
    .option("-w, --watch", "redraw every 2 s until Ctrl-C (with --json: one JSON line per snapshot)")
    .action((flags: StatusFlags) =>
      runGatewayAction(io, async () => {
        const client = gatewayClient(flags, io);
        const metrics = metricsUrl(flags, io, client.url);
        if (flags.watch) await watch(io, client, metrics, flags.json === true);
        else io.stdout.write(render(io, await snapshot(client, metrics), flags.json === true, false));
      }),
    );
}

async function snapshot(
  client: GatewayClient,
  metrics: string,
  previous?: Map<string, RateSample>,
  signal?: AbortSignal,
): Promise<Snapshot> {
  const [fleet, text] = await Promise.all([client.fleet(signal), fetchMetricsText(metrics)]);
  const samples = text === null ? undefined : parseDecodeRates(text);
  return { fleet, samples, rates: samples && decodeRates(samples, previous) };
}

function render(io: CortexIo, { fleet, rates }: Snapshot, json: boolean, oneLine: boolean): string {
  if (!json) return formatStatus(fleet, rates, { tty: io.stdout.isTTY, color: wantsColor(io) });
  const nodes = fleet.nodes.map((node) => ({
    ...node,
    decode_tokens_per_second: rates?.get(node.name) ?? null,
  }));
  return `${JSON.stringify({ ...fleet, nodes }, null, oneLine ? undefined : 2)}\n`;
}

/** Until Ctrl-C: a terminal is cleared and redrawn; piped output gets one snapshot after another. */
async function watch(io: CortexIo, client: GatewayClient, metrics: string, json: boolean): Promise<void> {
  const stop = new AbortController();
  const off = io.onInterrupt(() => stop.abort());
  const redraw = io.stdout.isTTY && !json;
  let previous: Map<string, RateSample> | undefined;
  try {
    while (!stop.signal.aborted) {
      let text: string;
      try {
        const next = await snapshot(client, metrics, previous, stop.signal);
        previous = next.samples ?? previous;
        text = render(io, next, json, true);
      } catch (error) {
        if (stop.signal.aborted) break;
        if (!isGatewayError(error)) throw error;
        // A gateway that restarts is what one watches for: say so and keep trying.
        if (!redraw) io.stderr.write(`error: ${error.message}\n`);
        text = redraw ? `error: ${error.message}\n` : "";
      }
      if (redraw) {
        const heading = `${client.url} every ${WATCH_INTERVAL_MS / 1000}s, Ctrl-C to stop  ${new Date().toLocaleTimeString()}`;
        io.stdout.write(`${CLEAR_SCREEN}${heading}\n\n${text}`);
      } else if (text !== "") {
        io.stdout.write(json ? text : `${text}\n`);
      }
      await delay(WATCH_INTERVAL_MS, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    off();
  }
}
