import { resolve } from "node:path";
import { defaultNeuronConfig, loadNeuronConfig, parseListenAddress, type NeuronConfig } from "@cortex/core";
import type { Engine } from "@cortex/neuron";
import { Command } from "commander";
import { UsageError } from "../cli-error.js";
import { createLogger, onShutdownSignals } from "../serving-process.js";

interface ServeFlags {
  config?: string;
  listen?: string;
  modelsDir?: string;
}

export function neuronServeCommand(): Command {
  return new Command("serve")
    .description("run the neuron daemon: in-process llama.cpp inference and model lifecycle over HTTP")
    .option("-c, --config <file>", "neuron.toml")
    .option("-l, --listen <host:port>", "listen address (default 0.0.0.0:13131)")
    .option("-m, --models-dir <dir>", "folder with GGUF files and Hugging Face model folders")
    .action(async (flags: ServeFlags) => {
      const config = await resolveNeuronConfig(flags);
      const logger = createLogger("neuron");
      const { startNeuron } = await import("@cortex/neuron");
      const forceToolCallDefault = process.env.CORTEX_TEST_FORCE_TOOL_CALL;
      const grace = Number(process.env.CORTEX_SHUTDOWN_GRACE_MS);
      const testHooks = process.env.CORTEX_TEST_HOOKS === "1";
      const neuron = await startNeuron({
        config,
        logger,
        testHooks,
        ...(testHooks && process.env.CORTEX_TEST_ENGINE === "fake"
          ? { engine: await fakeEngine(config) }
          : {}),
        ...(forceToolCallDefault ? { forceToolCallDefault } : {}),
        ...(process.env.CORTEX_TEST_FORCE_THOUGHT === "1" ? { forceThoughtDefault: true } : {}),
        ...(Number.isFinite(grace) && grace >= 0 ? { shutdownGraceMs: grace } : {}),
      });
      logger.info({ url: neuron.listenUrl, modelsDir: config.modelsDir }, "neuron listening");
      for (const warning of neuron.warnings) process.stderr.write(`WARNING: ${warning}\n`);
      onShutdownSignals(logger, () => neuron.close());
      // Machine-readable line for supervisors and tests that start us on port 0; after the signal
      // handlers, so a SIGTERM sent the moment it is read shuts down gracefully.
      process.stdout.write(`neuron listening on ${neuron.listenUrl}\n`);
    });
}

/**
 * Test-only (with CORTEX_TEST_HOOKS=1, CORTEX_TEST_ENGINE=fake): the whole real neuron process on the
 * fault-injection engine, whose models are small JSON files with timing knobs. The soak runs most of
 * its fleet this way to keep CPU bounded (docs/reliability.md).
 */
async function fakeEngine(config: NeuronConfig): Promise<Engine> {
  const { FakeEngine } = await import("@cortex/neuron/fake");
  return new FakeEngine({ queueLimit: config.queueLimit });
}

export async function resolveNeuronConfig(flags: ServeFlags): Promise<NeuronConfig> {
  const overrides = flags.modelsDir === undefined ? {} : { modelsDir: resolve(flags.modelsDir) };
  const base = flags.config
    ? await loadNeuronConfig(flags.config, overrides)
    : defaultNeuronConfig(process.cwd(), overrides);
  let listen = base.listen;
  if (flags.listen !== undefined) {
    try {
      listen = parseListenAddress(flags.listen);
    } catch (error) {
      throw new UsageError(`--listen: ${(error as Error).message}`);
    }
  }
  return { ...base, listen };
}
