import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCortexConfig, parseModelsConfig } from "@cortex/core";
import { spawnListening } from "@cortex/core";
import { Command } from "commander";
import { createLogger, onShutdownSignals } from "../serving-process.js";
import { DEMO_MODELS, demoDir, ensureDemoModels } from "../demo-models.js";
import { printQuickstart } from "../quickstart.js";

interface UpFlags {
  host: string;
  port: string;
  metricsPort: string;
  neuronPort: string;
}

/** `npm start`: demo models, one local neuron, the gateway, and how to point clients at it. */
export function cortexUpCommand(): Command {
  return new Command("up")
    .description("the embedded default: a local neuron on generated demo models behind the gateway")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "client API port", "31313")
    .option("--metrics-port <port>", "Prometheus port", "31314")
    .option("--neuron-port <port>", "the local neuron's port", "13131")
    .action(async (flags: UpFlags) => {
      const logger = createLogger("cortex");
      const dir = await ensureDemoModels(demoDir(), (line) => process.stdout.write(`${line}\n`));
      const neuronConfig = join(dir, "neuron.toml");
      // Claude Code sends ~76 kB of system prompt and tools: the demo context must hold that.
      await writeFile(neuronConfig, `name = "local"\ncontext_size = 65536\nparallel = 2\n`);
      const neuronBin = fileURLToPath(new URL("../../bin/neuron.js", import.meta.url));
      const neuron = await spawnListening(
        process.execPath,
        [
          neuronBin,
          "serve",
          "--config",
          neuronConfig,
          "--models-dir",
          dir,
          "--listen",
          `127.0.0.1:${flags.neuronPort}`,
        ],
        {
          env: { CORTEX_LOG_LEVEL: process.env.CORTEX_LOG_LEVEL ?? "warn" },
          pattern: /neuron listening on (http:\/\/\S+)/,
        },
      );
      neuron.child.stdout?.pipe(process.stdout);
      neuron.child.stderr?.pipe(process.stderr);
      const config = parseCortexConfig(
        [
          `[gateway]`,
          `listen = "${flags.host}:${flags.port}"`,
          `metrics_listen = "${flags.host}:${flags.metricsPort}"`,
          `default_model = "${DEMO_MODELS[0]?.id ?? "qwen3-tiny"}"`,
          `[[neurons]]`,
          `name = "local"`,
          `endpoint = "${neuron.url}"`,
        ].join("\n"),
        "<cortex up>",
        dir,
      );
      const models = parseModelsConfig(
        [
          `[[models]]`,
          `id = "qwen3-tiny"`,
          `aliases = ["claude-sonnet-*", "claude-opus-*", "gpt-4o"]`,
          `[[models]]`,
          `id = "llama-tiny"`,
          `aliases = ["claude-haiku-*", "claude-3-5-haiku-*", "gpt-4o-mini"]`,
        ].join("\n"),
        "<cortex up>",
        dir,
      );
      const { startGateway } = await import("@cortex/gateway");
      const gateway = await startGateway({ config, models, logger });
      for (const warning of gateway.warnings) process.stderr.write(`WARNING: ${warning}\n`);
      let stopping = false;
      onShutdownSignals(logger, async () => {
        stopping = true;
        await gateway.close();
        await neuron.stop();
      });
      // After the signal handlers: Ctrl-C right after the banner shuts down gracefully.
      printQuickstart(
        gateway.url,
        gateway.metricsUrl,
        DEMO_MODELS.map((model) => model.id),
      );
      neuron.child.once("exit", (code) => {
        // Ours to stop on Ctrl-C (its exit then is expected, not an error).
        if (stopping) return;
        logger.error({ code }, "the local neuron exited; stopping");
        void gateway.close().then(() => process.exit(1));
      });
    });
}
