import { Command } from "commander";
import type { CortexIo } from "../cortex-io.js";
import { gatewayClient, runGatewayAction, withGatewayOption, type GatewayFlags } from "./gateway-options.js";
import { withLoadProgress } from "./load-progress.js";

/** `cortex load MODEL [--node N]`: waits for the load, showing its progress on a terminal's stderr. */
export function cortexLoadCommand(io: CortexIo): Command {
  return withGatewayOption(new Command("load"))
    .description("load a model (on --node, else where placement puts it, evicting others if needed)")
    .argument("<model>", "model id or alias")
    .option("-n, --node <name>", "the node to load it on")
    .action((model: string, flags: GatewayFlags & { node?: string }) =>
      runGatewayAction(io, async () => {
        const client = gatewayClient(flags, io);
        const pending = client.load(model, flags.node);
        const result = io.stderr.isTTY
          ? await withLoadProgress(pending, client, model, io.stderr)
          : await pending;
        const where = flags.node !== undefined ? [flags.node] : result.loaded_on;
        io.stdout.write(`loaded ${result.model}${where.length > 0 ? ` on ${where.join(", ")}` : ""}\n`);
      }),
    );
}
