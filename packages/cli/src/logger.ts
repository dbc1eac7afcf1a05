import { pino, type Logger } from "pino";

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
