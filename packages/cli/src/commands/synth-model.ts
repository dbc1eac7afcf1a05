import { formatBytes } from "@cortex/core";
import { Command, Option } from "commander";
import { UsageError } from "../cli-error.js";

interface SynthModelFlags {
  arch: string;
  size: string;
  quant?: string;
  seed?: string;
  ends?: boolean;
  format: string;
  dtype?: string;
  shards?: string;
  splits?: string;
  context?: string;
  out: string;
}

export function synthModelCommand(): Command {
  return new Command("synth-model")
    .description(
      "write a random-weight test model (GGUF file or Hugging Face folder) with a real tokenizer and chat template",
    )
    .addOption(
      new Option("--arch <arch>", "architecture")
        .choices(["llama", "qwen3", "qwen3moe"])
        .makeOptionMandatory(),
    )
    .addOption(
      new Option("--size <size>", "tiny (a few MB) or small (~180 MB at f16)")
        .choices(["tiny", "small"])
        .default("tiny"),
    )
    .addOption(
      new Option("--quant <quant>", "GGUF weight type (default f32)").choices(["f32", "f16", "q8_0"]),
    )
    .option("--seed <n>", "weights are a pure function of the seed (default 42)")
    .option("--ends", "replies end with EOS after a sentence (demo models); otherwise they run to max tokens")
    .addOption(new Option("--format <format>", "output format").choices(["gguf", "hf"]).default("gguf"))
    .addOption(
      new Option("--dtype <dtype>", "HF safetensors dtype (default f32)").choices(["f32", "f16", "bf16"]),
    )
    .option("--shards <n>", "HF: number of safetensors files (default 1)")
    .option("--splits <n>", "GGUF: write a split set <out stem>-0000k-of-0000n.gguf of n files (default 1)")
    .option("--context <n>", "train context length written into the model (default 131072)")
    .requiredOption("--out <path>", "GGUF file, or folder for --format hf")
    .action(async (flags: SynthModelFlags) => {
      const { synthModel, SynthOptionsError } = await import("@cortex/neuron/synth");
      const started = performance.now();
      try {
        const result = await synthModel({
          arch: flags.arch as "llama" | "qwen3" | "qwen3moe",
          size: flags.size as "tiny" | "small",
          ...(flags.quant === undefined ? {} : { quant: flags.quant as "f32" | "f16" | "q8_0" }),
          ...(flags.seed === undefined ? {} : { seed: integerFlag("--seed", flags.seed) }),
          ends: flags.ends === true,
          format: flags.format as "gguf" | "hf",
          ...(flags.dtype === undefined ? {} : { dtype: flags.dtype as "f32" | "f16" | "bf16" }),
          ...(flags.shards === undefined ? {} : { shards: integerFlag("--shards", flags.shards) }),
          ...(flags.splits === undefined ? {} : { splits: integerFlag("--splits", flags.splits) }),
          ...(flags.context === undefined ? {} : { contextLength: integerFlag("--context", flags.context) }),
          out: flags.out,
        });
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        const parameters = result.parameters.toLocaleString("en-US");
        process.stdout.write(
          `${result.path}\n${result.name}: ${formatBytes(result.bytes)}, ${parameters} parameters, ` +
            `vocabulary ${result.vocabSize} tokens (${seconds} s)\n`,
        );
      } catch (error) {
        if (error instanceof SynthOptionsError) throw new UsageError(error.message);
        throw error;
      }
    });
}

function integerFlag(flag: string, value: string): number {
  if (!/^\d+$/.test(value))
    throw new UsageError(`${flag} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}
