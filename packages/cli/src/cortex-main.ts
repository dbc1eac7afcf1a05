import { Command } from "commander";
import { configCheckCommand } from "./commands/config-check.js";
import { cortexServeCommand } from "./commands/cortex-serve.js";
import { cortexUpCommand } from "./commands/cortex-up.js";
import { runProgram } from "./neuron-main.js";

export async function runCortex(argv: string[]): Promise<void> {
  const program = new Command("cortex")
    .description("cortex: one OpenAI + Anthropic compatible endpoint in front of a fleet of GPU neurons")
    .addCommand(cortexServeCommand())
    .addCommand(cortexUpCommand())
    .addCommand(configCheckCommand());
  await runProgram(program, argv);
}
