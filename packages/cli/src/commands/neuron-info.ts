import { SUPPORTED_GGUF_ARCHITECTURES, SUPPORTED_HF_MODEL_TYPES, formatBytes } from "@cortex/core";
import { Command } from "commander";
import { resolveNeuronConfig } from "./neuron-serve.js";

export function neuronInfoCommand(): Command {
  return new Command("info")
    .description("GPU/backend discovery and the supported model set, as the daemon would report it")
    .option("-c, --config <file>", "neuron.toml")
    .option("-m, --models-dir <dir>", "also list models in this folder")
    .option("--json", "print JSON")
    .action(async (flags: { config?: string; modelsDir?: string; json?: boolean }) => {
      const config = await resolveNeuronConfig(flags);
      const { LlamaCppEngine, discoverNode, resolveThreads, describeModelsDir } =
        await import("@cortex/neuron");
      const threads = resolveThreads(config);
      const engine = new LlamaCppEngine({ gpu: config.gpu, threads, queueLimit: 0, log: () => {} });
      try {
        const node = await discoverNode(engine);
        const dir = await describeModelsDir(config, engine);
        const report = {
          node: config.name,
          backend: node.backend,
          gpus: node.gpus,
          ram_total: node.ramTotal,
          ram_free: node.ramFree,
          cpu_threads: node.cpuThreads,
          threads: threads.decode,
          batch_threads: threads.batch,
          models_dir: config.modelsDir,
          memory_budget: config.memoryBudget ?? null,
          supported: {
            gguf_architectures: SUPPORTED_GGUF_ARCHITECTURES,
            hf_model_types: SUPPORTED_HF_MODEL_TYPES,
          },
          models: dir.models.map((model) => ({
            id: model.id,
            source: model.source,
            architecture: model.architecture,
            quantization: model.quantization,
            parameters: model.parameters,
            memory_estimate: model.memory_estimate,
            servable: model.state !== "failed",
            reason: model.error,
          })),
          unsupported: dir.unsupported,
        };
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          return;
        }
        const lines = [
          `node        ${report.node}`,
          `backend     ${report.backend}`,
          ...(node.gpus.length === 0
            ? ["gpus        none"]
            : node.gpus.map(
                (gpu) =>
                  `gpu ${gpu.index}       ${gpu.name} (${formatBytes(gpu.vram_free)} free of ${formatBytes(gpu.vram_total)})`,
              )),
          `ram         ${formatBytes(node.ramFree)} free of ${formatBytes(node.ramTotal)}`,
          `cpu         ${node.cpuThreads} threads (decode uses ${threads.decode}, prompt evaluation ${threads.batch})`,
          `models dir  ${config.modelsDir}`,
          `supported   GGUF: ${SUPPORTED_GGUF_ARCHITECTURES.join(", ")}; HF model_type: ${SUPPORTED_HF_MODEL_TYPES.join(", ")}`,
          "",
          ...(report.models.length === 0 ? ["models      none found"] : []),
          ...report.models.map((model) =>
            model.servable
              ? `model       ${model.id}: ${model.architecture ?? "?"} ${model.quantization ?? ""}, ${formatCount(model.parameters)} parameters, needs ~${model.memory_estimate === null ? "?" : formatBytes(model.memory_estimate)}`
              : `cannot serve ${model.id}: ${model.reason ?? "unknown reason"}`,
          ),
          ...report.unsupported.map((entry) => `cannot serve ${entry.path}: ${entry.reason}`),
        ];
        process.stdout.write(`${lines.join("\n")}\n`);
      } finally {
        await engine.dispose();
      }
    });
}

function formatCount(value: number | null): string {
  if (value === null) return "?";
  if (value >= 1e9) return `${(value / 1e9).toFixed(1)}B`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  return `${Math.round(value / 1e3)}K`;
}
