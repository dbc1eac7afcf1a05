import { formatBytes } from "@cortex/core";
import { Command, Option } from "commander";
import { EXIT } from "../cli-error.js";

interface ConvertFlags {
  out: string;
  quant?: string;
  name?: string;
}

export function neuronConvertCommand(): Command {
  return new Command("convert")
    .description(
      "convert a Hugging Face safetensors folder (llama, qwen3, qwen3_moe) to GGUF, streamed (bounded memory)",
    )
    .argument("<folder>", "folder with config.json, tokenizer.json and model.safetensors (or shards + index)")
    .requiredOption("-o, --out <file>", "the GGUF to write (appears only when complete)")
    .addOption(
      new Option(
        "--quant <type>",
        "weight type; default: keep the checkpoint's dtype (F32/F16/BF16)",
      ).choices(["f32", "f16", "bf16", "q8_0"]),
    )
    .option("--name <name>", "general.name in the GGUF (default: the folder name)")
    .action(async (folder: string, flags: ConvertFlags) => {
      const { convertHfFolder, isHfModelError } = await import("@cortex/neuron/convert");
      const started = performance.now();
      let shown = -1;
      try {
        const result = await convertHfFolder({
          dir: folder,
          out: flags.out,
          ...(flags.quant === undefined ? {} : { target: flags.quant as "f32" | "f16" | "bf16" | "q8_0" }),
          ...(flags.name === undefined ? {} : { name: flags.name }),
          onProgress: (fraction) => {
            const percent = Math.floor(fraction * 10) * 10;
            if (percent > shown && process.stderr.isTTY) process.stderr.write(`\rconverting… ${percent}%`);
            shown = Math.max(shown, percent);
          },
        });
        if (process.stderr.isTTY) process.stderr.write("\r");
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        process.stdout.write(
          `${result.path}\n${result.architecture}: ${formatBytes(result.bytes)}, ${result.tensorCount} tensors, ` +
            `${result.parameters.toLocaleString("en-US")} parameters (${seconds} s)\n`,
        );
      } catch (error) {
        if (process.stderr.isTTY) process.stderr.write("\n");
        if (!isHfModelError(error)) throw error;
        // A folder that cannot be converted is a one-line answer, not a stack trace.
        process.stderr.write(`error: ${folder}: ${error.message}\n`);
        process.exitCode = EXIT.failure;
      }
    });
}
