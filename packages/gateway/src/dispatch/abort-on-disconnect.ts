import type { ServerResponse } from "node:http";
import { CortexError } from "@cortex/core";

/** Fires when the client goes away before the response is complete; aborts the upstream request with it. */
export function abortOnDisconnect(res: ServerResponse): AbortController {
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort(new CortexError("request_aborted", "client disconnected"));
  });
  return controller;
}
