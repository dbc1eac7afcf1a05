import { Command } from "commander";
import type { CortexIo } from "../cortex-io.js";
import { gatewayClient, runGatewayAction, withGatewayOption, type GatewayFlags } from "./gateway-options.js";

/** `cortex unload MODEL [--node N]`: waits for in-flight requests to finish, then frees the memory. */
export function cortexUnloadCommand(io: CortexIo): Command {
  return withGatewayOption(new Command("unload"))
    .description("unload a model from every node that has it (or from --node only)")
    .argument("<model>", "model id or alias")
    .option("-n, --node <name>", "only on this node")
    .action((model: string, flags: GatewayFlags & { node?: string }) =>
      runGatewayAction(io, async () => {
        const result = await gatewayClient(flags, io).unload(model, flags.node);
        const on = flags.node === undefined ? "" : ` on ${flags.node}`;
        io.stdout.write(
          result.unloaded_from.length > 0
            ? `unloaded ${result.model} from ${result.unloaded_from.join(", ")}\n`
            : `${result.model} was not loaded${on}\n`,
        );
      }),
    );
}
