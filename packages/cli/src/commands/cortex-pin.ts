import { Command } from "commander";
import type { CortexIo } from "../cortex-io.js";
import { gatewayClient, runGatewayAction, withGatewayOption, type GatewayFlags } from "./gateway-options.js";

/** `cortex pin MODEL` / `cortex unpin MODEL`: pinned models are never evicted to make room. */
export function cortexPinCommand(io: CortexIo, pinned: boolean): Command {
  return withGatewayOption(new Command(pinned ? "pin" : "unpin"))
    .description(
      pinned
        ? "never evict this model to make room for another (until unpinned; the neurons keep the pin for every gateway)"
        : "let this model be evicted again (back to eviction as usual)",
    )
    .argument("<model>", "model id or alias")
    .action((model: string, flags: GatewayFlags) =>
      runGatewayAction(io, async () => {
        const result = await gatewayClient(flags, io).setPinned(model, pinned);
        io.stdout.write(`${result.pinned ? "pinned" : "unpinned"} ${result.model}\n`);
      }),
    );
}
