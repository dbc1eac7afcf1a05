import { Command } from "commander";
import { wantsColor, type CortexIo } from "../cortex-io.js";
import { formatDecisions } from "../format/format-decisions.js";
import {
  gatewayClient,
  positiveInteger,
  runGatewayAction,
  withGatewayOption,
  type GatewayFlags,
} from "./gateway-options.js";

/** `cortex decisions`: the scheduler's recent loads, evictions and refusals, each with its reason. */
export function cortexDecisionsCommand(io: CortexIo): Command {
  return withGatewayOption(new Command("decisions"))
    .description("recent scheduling decisions: what was loaded or evicted where, and why")
    .option("-l, --limit <n>", "how many of the latest decisions", "20")
    .option("--json", "print JSON ({decisions:[...]}, oldest first)")
    .action((flags: GatewayFlags & { limit: string; json?: boolean }) =>
      runGatewayAction(io, async () => {
        const limit = positiveInteger("--limit", flags.limit);
        const decisions = await gatewayClient(flags, io).decisions(limit);
        io.stdout.write(
          flags.json
            ? `${JSON.stringify({ decisions }, null, 2)}\n`
            : formatDecisions(decisions, { color: wantsColor(io) }),
        );
      }),
    );
}
