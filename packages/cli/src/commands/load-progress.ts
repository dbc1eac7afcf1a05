import { setTimeout as delay } from "node:timers/promises";
import type { Output } from "../cortex-io.js";
import type { GatewayClient } from "../gateway-client.js";
import type { Fleet } from "../gateway-types.js";
import { formatLoadProgress } from "../format/format-load-progress.js";

export const PROGRESS_POLL_MS = 500;
const CLEAR_LINE = "\r\x1b[K";

/**
 * While `pending` (a `POST /admin/models/load`) runs, polls `/admin/fleet` every 500 ms and keeps one
 * status line for the model on `terminal`; the line is cleared when the load settles either way.
 */
export async function withLoadProgress<T>(
  pending: Promise<T>,
  client: GatewayClient,
  requested: string,
  terminal: Output,
): Promise<T> {
  const done = new AbortController();
  const started = performance.now();
  const poll = async (): Promise<void> => {
    // The fleet lists model ids: follow the model an alias stands for.
    const model = await resolveAlias(client, requested);
    while (!done.signal.aborted) {
      const fleet: Fleet | undefined = await client.fleet(done.signal).catch(() => undefined);
      if (done.signal.aborted) return;
      terminal.write(`${CLEAR_LINE}${formatLoadProgress(fleet, model, performance.now() - started)}`);
      await delay(PROGRESS_POLL_MS, undefined, { signal: done.signal }).catch(() => undefined);
    }
  };
  const polling = poll();
  try {
    return await pending;
  } finally {
    done.abort();
    await polling;
    terminal.write(CLEAR_LINE);
  }
}

async function resolveAlias(client: GatewayClient, requested: string): Promise<string> {
  const models = await client.models().catch(() => []);
  return models.find((entry) => entry.id === requested)?.alias_of ?? requested;
}
