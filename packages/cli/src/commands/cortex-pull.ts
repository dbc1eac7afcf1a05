import { setTimeout as delay } from "node:timers/promises";
import { formatBytes } from "@cortex/core";
import { Command } from "commander";
import { UsageError } from "../cli-error.js";
import type { CortexIo } from "../cortex-io.js";
import type { GatewayClient } from "../gateway-client.js";
import { requestFailed } from "../gateway-error.js";
import type { FleetModel } from "../gateway-types.js";
import { formatPullProgress } from "../format/format-pull-progress.js";
import { gatewayClient, runGatewayAction, withGatewayOption, type GatewayFlags } from "./gateway-options.js";
import { PROGRESS_POLL_MS } from "./load-progress.js";

const CLEAR_LINE = "\r\x1b[K";
/** Polls in a row that do not show the model before the watch gives up (it was deleted meanwhile). */
const MISSING_POLLS = 20;

interface PullFlags extends GatewayFlags {
  node: string;
  revision?: string;
}

/**
 * `cortex pull org/repo[:QUANT|:FILE] --node N`: the node downloads the model from Hugging Face; this
 * follows the download in `/admin/fleet` with a progress bar on a terminal's stderr until the node
 * serves the model. Ctrl-C stops watching, not the download.
 */
export function cortexPullCommand(io: CortexIo): Command {
  return withGatewayOption(new Command("pull"))
    .description(
      "download a model from Hugging Face onto a node (the node uses its own HF_ENDPOINT / HF_TOKEN)",
    )
    .argument("<model>", "org/repo, org/repo:QUANT (e.g. Q4_K_M) or org/repo:FILE.gguf")
    .requiredOption("-n, --node <name>", "the node that downloads and keeps it")
    .option("-r, --revision <rev>", "branch, tag or commit (default main)")
    .action((model: string, flags: PullFlags) =>
      runGatewayAction(io, async () => {
        const { parsePullSpec } = await import("@cortex/neuron/hub");
        let spec: ReturnType<typeof parsePullSpec>;
        try {
          spec = parsePullSpec(model, flags.revision);
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
        const client = gatewayClient(flags, io);
        const started = await client.pull({
          node: flags.node,
          repo: spec.repo,
          ...(spec.quant === undefined ? {} : { quant: spec.quant }),
          ...(spec.file === undefined ? {} : { file: spec.file }),
          ...(spec.revision === undefined ? {} : { revision: spec.revision }),
        });
        const { id } = started.model;
        if (started.model.state !== "downloading") {
          io.stdout.write(`${id} is already on ${flags.node} (${spec.repo})\n`);
          return;
        }
        const label = `${spec.repo}${started.model.quantization ? `:${started.model.quantization}` : ""}`;
        const done = await watchPull(
          client,
          io,
          flags.node,
          id,
          label,
          started.model.download?.bytes_done ?? 0,
        );
        io.stdout.write(`pulled ${label} as ${id} on ${flags.node} (${formatBytes(done)})\n`);
      }),
    );
}

/** Follows the pull until the node lists the model as servable; returns its size. */
async function watchPull(
  client: GatewayClient,
  io: CortexIo,
  node: string,
  id: string,
  label: string,
  startBytes: number,
): Promise<number> {
  const interrupted = new AbortController();
  const stopListening = io.onInterrupt(() => interrupted.abort());
  const started = performance.now();
  let missing = 0;
  let total = 0;
  try {
    for (;;) {
      const fleet = await client.fleet(interrupted.signal).catch((error: unknown) => {
        if (interrupted.signal.aborted) return undefined;
        throw error;
      });
      if (interrupted.signal.aborted || fleet === undefined) {
        throw requestFailed(`stopped watching; ${id} keeps downloading on ${node} (cortex status shows it)`);
      }
      const model: FleetModel | undefined = fleet.nodes
        .find((candidate) => candidate.name === node)
        ?.models.find((candidate) => candidate.id === id);
      if (model?.download) total = model.download.bytes_total;
      if (model?.state === "failed")
        throw requestFailed(`pulling ${label} on ${node} failed: ${model.error ?? "unknown error"}`);
      if (model !== undefined && model.state !== "downloading") return total;
      missing = model === undefined ? missing + 1 : 0;
      if (missing >= MISSING_POLLS) throw requestFailed(`${id} is no longer on ${node} (deleted?)`);
      if (model?.download && io.stderr.isTTY) {
        const line = formatPullProgress({
          label,
          done: model.download.bytes_done,
          total: model.download.bytes_total,
          gainedBytes: model.download.bytes_done - startBytes,
          elapsedMs: performance.now() - started,
        });
        io.stderr.write(`${CLEAR_LINE}${line}`);
      }
      await delay(PROGRESS_POLL_MS, undefined, { signal: interrupted.signal }).catch(() => undefined);
    }
  } finally {
    stopListening();
    if (io.stderr.isTTY) io.stderr.write(CLEAR_LINE);
  }
}
