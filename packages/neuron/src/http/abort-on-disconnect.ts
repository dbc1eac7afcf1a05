import type { ServerResponse } from "node:http";
import { CortexError } from "@cortex/core";

/**
 * An AbortSignal that fires when the client goes away before the response is complete. That is what
 * stops a generation nobody will read and gives its sequence to the next request.
 */
export function abortOnDisconnect(res: ServerResponse): AbortController {
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort(new CortexError("request_aborted", "client disconnected"));
  });
  return controller;
}
