import { pino, type Logger } from "pino";

/** What every long-running command (cortex serve, cortex up, neuron serve) sets up for its process. */

/** One root logger per process; components take children. Keys and tokens are redacted. */
export function createLogger(name: string): Logger {
  return pino({
    name,
    level: process.env.CORTEX_LOG_LEVEL ?? "info",
    redact: {
      paths: ["req.headers.authorization", 'req.headers["x-api-key"]', "*.api_key", "*.token", "*.authToken"],
      censor: "[redacted]",
    },
  });
}

/** SIGTERM/SIGINT: graceful once; a second signal exits at once. */
export function onShutdownSignals(logger: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.info({ signal }, "shutting down");
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // node-llama-cpp can reject internally during dispose races (docs/node-llama-cpp.md §7.6); never let that kill serving.
  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled rejection"));
}
