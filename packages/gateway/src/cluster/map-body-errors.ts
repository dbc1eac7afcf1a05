import { PassThrough, type Readable } from "node:stream";
import type { CortexError } from "@cortex/core";

/**
 * Re-emits a streaming body so its errors arrive as CortexErrors (an idle timeout or a reset mid-stream
 * is what the proxy turns into the client's error event). Chunks pass straight through: nothing is
 * collected. Destroying the returned stream destroys the source, which aborts the upstream request.
 */
export function mapBodyErrors(source: Readable, toError: (error: unknown) => CortexError): Readable {
  const out = new PassThrough();
  source.on("error", (error) => out.destroy(toError(error)));
  out.on("close", () => {
    if (!source.destroyed) source.destroy();
  });
  source.pipe(out);
  return out;
}
