import { basename } from "node:path";
import { loadCortexConfig, loadModelsConfig, loadNeuronConfig } from "@cortex/core";
import { Command } from "commander";
import { UsageError } from "../cli-error.js";

type Kind = "cortex" | "models" | "neuron";

/** `cortex config check FILE`: parse and validate; every problem on its own line, exit 2 when any. */
export function configCheckCommand(): Command {
  return new Command("config").description("configuration tools").addCommand(
    new Command("check")
      .description("validate a cortex.toml, models.toml or neuron.toml")
      .argument("<file>", "the file to check")
      .option("--kind <kind>", "cortex | models | neuron (default: from the file name)")
      .action(async (file: string, flags: { kind?: string }) => {
        const kind = flags.kind ?? guessKind(file);
        if (kind !== "cortex" && kind !== "models" && kind !== "neuron") {
          throw new UsageError(`--kind must be cortex, models or neuron (got ${JSON.stringify(kind)})`);
        }
        await LOADERS[kind](file);
        process.stdout.write(`${file}: ok (${kind} config)\n`);
      }),
  );
}

const LOADERS: Record<Kind, (file: string) => Promise<unknown>> = {
  cortex: loadCortexConfig,
  models: loadModelsConfig,
  neuron: loadNeuronConfig,
};

function guessKind(file: string): string {
  const name = basename(file);
  if (name.startsWith("models")) return "models";
  if (name.startsWith("neuron")) return "neuron";
  return "cortex";
}
