import { Pool } from "undici";
import type { GatewayBenchOptions } from "./bench-options.js";
import type { BackendKind } from "./gateway-backends.js";
import {
  PROXY_PATHS,
  REQUEST_TIMEOUT_MS,
  rotate,
  type ProxyPath,
  type TtftRun,
} from "./gateway-bench-types.js";
import { ttftMs } from "./stream-sample.js";
import { streamChat } from "./stream-chat.js";

/** Sequential streaming requests, round-robin over the paths: time to the first content chunk. */
export async function measureStreamTtft(
  backend: BackendKind,
  model: string,
  targets: Record<ProxyPath, string>,
  options: Pick<GatewayBenchOptions, "ttftRequests" | "maxTokens">,
): Promise<TtftRun[]> {
  const pools = new Map(PROXY_PATHS.map((path) => [path, new Pool(targets[path], { connections: 1 })]));
  const results = new Map(
    PROXY_PATHS.map((path): [ProxyPath, TtftRun] => [path, { backend, path, ttftMs: [], errors: 0 }]),
  );
  try {
    // Index -1 is an untimed first request per path: connection set-up is not what TTFT should show.
    for (let index = -1; index < options.ttftRequests; index++) {
      for (const path of rotate(PROXY_PATHS, index + 1)) {
        const pool = pools.get(path);
        const result = results.get(path);
        if (!pool || !result) continue;
        try {
          const sample = await streamChat(pool, {
            model,
            prompt: `Say hi, number ${index}.`,
            maxTokens: options.maxTokens,
            timeoutMs: REQUEST_TIMEOUT_MS,
          });
          if (index >= 0) result.ttftMs.push(ttftMs(sample));
        } catch {
          if (index >= 0) result.errors++;
        }
      }
    }
  } finally {
    await Promise.all([...pools.values()].map((pool) => pool.close()));
  }
  return [...results.values()];
}
