import { Command } from "commander";
import { formatBytes } from "@cortex/core";
import { formatPullProgress } from "../format/format-pull-progress.js";
import { resolveNeuronConfig } from "./neuron-serve.js";

interface PullFlags {
  revision?: string;
  modelsDir?: string;
  config?: string;
}

const CLEAR_LINE = "\r\x1b[K";
const REDRAW_MS = 200;

/** `neuron pull org/repo[:quant-or-file]`: downloads into models_dir here, without a running neuron. */
export function neuronPullCommand(): Command {
  return new Command("pull")
    .description(
      "download a model from Hugging Face into models_dir: a GGUF by quant (org/repo:Q4_K_M) or file name, or a safetensors folder (HF_ENDPOINT, HF_TOKEN)",
    )
    .argument("<model>", "org/repo, org/repo:QUANT or org/repo:FILE.gguf")
    .option("-r, --revision <rev>", "branch, tag or commit (default main)")
    .option("-m, --models-dir <dir>", "where to put it (default: models_dir of --config, else ./models)")
    .option("-c, --config <file>", "neuron.toml")
    .action(async (model: string, flags: PullFlags) => {
      const config = await resolveNeuronConfig({
        ...(flags.config === undefined ? {} : { config: flags.config }),
        ...(flags.modelsDir === undefined ? {} : { modelsDir: flags.modelsDir }),
      });
      const { HubClient, hubSettingsFromEnv, parsePullSpec, planPull, runPull } =
        await import("@cortex/neuron/hub");
      const spec = parsePullSpec(model, flags.revision);
      const client = new HubClient(hubSettingsFromEnv());
      const planned = await planPull(spec, { client, modelsDir: config.modelsDir });
      const { plan } = planned;
      if (planned.upToDate) {
        process.stdout.write(`${plan.id} is up to date (${spec.repo} at ${planned.commit.slice(0, 12)})\n`);
        return;
      }
      const abort = new AbortController();
      const interrupt = (): void => abort.abort(new Error("interrupted"));
      process.once("SIGINT", interrupt);
      const started = performance.now();
      let lastDraw = 0;
      const label = `${spec.repo}${plan.quant ? `:${plan.quant}` : ""}`;
      const draw = (done: number, force = false): void => {
        if (!process.stderr.isTTY) return;
        const now = performance.now();
        if (!force && now - lastDraw < REDRAW_MS) return;
        lastDraw = now;
        const line = formatPullProgress({
          label,
          done,
          total: plan.bytes,
          gainedBytes: done - planned.bytesPresent,
          elapsedMs: now - started,
        });
        process.stderr.write(`${CLEAR_LINE}${line}`);
      };
      try {
        draw(planned.bytesPresent, true);
        await runPull(planned, {
          client,
          modelsDir: config.modelsDir,
          signal: abort.signal,
          onProgress: draw,
        });
      } finally {
        process.off("SIGINT", interrupt);
        if (process.stderr.isTTY) process.stderr.write(CLEAR_LINE);
      }
      const files = plan.files.length === 1 ? "1 file" : `${plan.files.length} files`;
      process.stdout.write(
        `pulled ${label} as ${plan.id} (${plan.kind}, ${files}, ${formatBytes(plan.bytes)}) into ${config.modelsDir}\n`,
      );
    });
}
