import { Command } from "commander";
import type { CortexIo } from "../cortex-io.js";
import { gatewayClient, runGatewayAction, withGatewayOption, type GatewayFlags } from "./gateway-options.js";

/** `cortex delete MODEL --node N`: removes a model the node pulled (unloading it first), or cancels its pull. */
export function cortexDeleteCommand(io: CortexIo): Command {
  return withGatewayOption(new Command("delete"))
    .description("delete a model pulled onto a node (its files), or cancel its download")
    .argument("<model>", "model id as the node lists it")
    .requiredOption("-n, --node <name>", "the node that has it")
    .action((model: string, flags: GatewayFlags & { node: string }) =>
      runGatewayAction(io, async () => {
        const result = await gatewayClient(flags, io).deleteModel(model, flags.node);
        io.stdout.write(`deleted ${result.model} from ${result.node}\n`);
      }),
    );
}
