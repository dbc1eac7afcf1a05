import { Command } from "commander";
import { wantsColor, type CortexIo } from "../cortex-io.js";
import { formatModels } from "../format/format-models.js";
import { gatewayClient, runGatewayAction, withGatewayOption, type GatewayFlags } from "./gateway-options.js";

/** `cortex models`: the catalogue, with where each model is loaded. */
export function cortexModelsCommand(io: CortexIo): Command {
  return withGatewayOption(new Command("models"))
    .description("the model catalogue (aliases included) and where each model is loaded")
    .option("--json", "print the /v1/models entries as JSON")
    .action((flags: GatewayFlags & { json?: boolean }) =>
      runGatewayAction(io, async () => {
        const models = await gatewayClient(flags, io).models();
        io.stdout.write(
          flags.json
            ? `${JSON.stringify(models, null, 2)}\n`
            : formatModels(models, { color: wantsColor(io) }),
        );
      }),
    );
}
