import { existsSync } from "node:fs";
import {
  defaultModelsConfig,
  loadCortexConfig,
  loadModelsConfig,
  type CortexConfig,
  type ModelsConfig,
} from "@cortex/core";
import { Command } from "commander";
import { UsageError } from "../cli-error.js";
import { createLogger, onShutdownSignals } from "../serving-process.js";

/** Used when `--config` is not given and the file exists (packaging/systemd installs it there). */
export const SYSTEM_CONFIG = "/etc/cortex/cortex.toml";

export function cortexServeCommand(): Command {
  return new Command("serve")
    .description("run the gateway in front of the neurons listed in cortex.toml")
    .option("-c, --config <file>", `cortex.toml (default ${SYSTEM_CONFIG} when present)`)
    .option("-m, --models <file>", "models.toml with placement profiles and aliases")
    .action(async (flags: { config?: string; models?: string }) => {
      const configPath = flags.config ?? (existsSync(SYSTEM_CONFIG) ? SYSTEM_CONFIG : undefined);
      if (!configPath) throw new UsageError(`--config is required (no ${SYSTEM_CONFIG} found)`);
      const logger = createLogger("cortex");
      const loadAll = async (): Promise<{ config: CortexConfig; models: ModelsConfig }> => {
        const config = await loadCortexConfig(configPath);
        const modelsPath = flags.models ?? config.gateway.modelsFile;
        return { config, models: modelsPath ? await loadModelsConfig(modelsPath) : defaultModelsConfig() };
      };
      const { config, models } = await loadAll();
      const { startGateway, ReloadRefusedError } = await import("@cortex/gateway");
      const gateway = await startGateway({ config, models, logger });
      for (const warning of gateway.warnings) process.stderr.write(`WARNING: ${warning}\n`);
      // Everything in cortex.toml and models.toml reloads, or nothing does and the log names the keys
      // that need a restart.
      process.on("SIGHUP", () => {
        loadAll()
          .then((next) => {
            gateway.reload(next.config, next.models);
            logger.info({ neurons: next.config.neurons.length }, "configuration reloaded");
          })
          .catch((error: unknown) => {
            if (error instanceof ReloadRefusedError) {
              logger.error({ keys: error.keys }, `reload refused: ${error.message}`);
            } else {
              logger.error({ err: error }, "reload failed; keeping the running configuration");
            }
          });
      });
      onShutdownSignals(logger, () => gateway.close());
      // Announced only once the signal handlers are in: a supervisor (or a test) that sends SIGHUP or
      // SIGTERM as soon as it reads this line would otherwise hit the default action and kill us.
      process.stdout.write(
        `cortex listening on ${gateway.listenUrl} (metrics on ${gateway.metricsListenUrl}/metrics)\n`,
      );
    });
}
