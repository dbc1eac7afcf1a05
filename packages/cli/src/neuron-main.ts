import { Command, CommanderError } from "commander";
import { EXIT, reportError } from "./cli-error.js";
import { neuronConvertCommand } from "./commands/neuron-convert.js";
import { neuronInfoCommand } from "./commands/neuron-info.js";
import { neuronPullCommand } from "./commands/neuron-pull.js";
import { neuronServeCommand } from "./commands/neuron-serve.js";
import { synthModelCommand } from "./commands/synth-model.js";

export async function runNeuron(argv: string[]): Promise<void> {
  const program = new Command("neuron")
    .description("cortex neuron: the per-node inference daemon")
    .exitOverride()
    .addCommand(neuronServeCommand())
    .addCommand(neuronInfoCommand())
    .addCommand(neuronPullCommand())
    .addCommand(synthModelCommand())
    .addCommand(neuronConvertCommand());
  await runProgram(program, argv);
}

export async function runProgram(program: Command, argv: string[]): Promise<void> {
  program.exitOverride();
  for (const command of program.commands) command.exitOverride();
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed the usage problem (or the help text).
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    process.exitCode = reportError(error);
  }
}
