import { Command } from "commander";
import { configCheckCommand } from "./commands/config-check.js";
import { cortexDecisionsCommand } from "./commands/cortex-decisions.js";
import { cortexDeleteCommand } from "./commands/cortex-delete.js";
import { cortexLoadCommand } from "./commands/cortex-load.js";
import { cortexModelsCommand } from "./commands/cortex-models.js";
import { cortexPinCommand } from "./commands/cortex-pin.js";
import { cortexPullCommand } from "./commands/cortex-pull.js";
import { cortexServeCommand } from "./commands/cortex-serve.js";
import { cortexStatusCommand } from "./commands/cortex-status.js";
import { cortexUnloadCommand } from "./commands/cortex-unload.js";
import { cortexUpCommand } from "./commands/cortex-up.js";
import type { CortexIo } from "./cortex-io.js";
import { runProgram } from "./neuron-main.js";

export async function runCortex(argv: string[], io: CortexIo = processIo()): Promise<void> {
  const program = new Command("cortex")
    .description("cortex: one OpenAI + Anthropic compatible endpoint in front of a fleet of GPU neurons")
    .addCommand(cortexServeCommand())
    .addCommand(cortexUpCommand())
    .addCommand(configCheckCommand())
    .addCommand(cortexStatusCommand(io))
    .addCommand(cortexModelsCommand(io))
    .addCommand(cortexLoadCommand(io))
    .addCommand(cortexUnloadCommand(io))
    .addCommand(cortexPullCommand(io))
    .addCommand(cortexDeleteCommand(io))
    .addCommand(cortexPinCommand(io, true))
    .addCommand(cortexPinCommand(io, false))
    .addCommand(cortexDecisionsCommand(io));
  await runProgram(program, argv);
}

/** The real process: its environment, its streams and its Ctrl-C. */
export function processIo(): CortexIo {
  return {
    env: process.env,
    stdout: { write: (text) => void process.stdout.write(text), isTTY: process.stdout.isTTY === true },
    stderr: { write: (text) => void process.stderr.write(text), isTTY: process.stderr.isTTY === true },
    onInterrupt: (listener) => {
      process.on("SIGINT", listener);
      return () => void process.off("SIGINT", listener);
    },
  };
}
