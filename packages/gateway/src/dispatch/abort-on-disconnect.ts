import type { ServerResponse } from "node:http";
import { CortexError } from "@cortex/core";
import { Cancellation } from "../cancellation.js";

/** Fires when the client goes away before the response is complete; aborts the upstream request with it. */
export function abortOnDisconnect(res: ServerResponse): Cancellation {
  const cancellation = new Cancellation();
  res.on("close", () => {
    if (!res.writableFinished) cancellation.abort(new CortexError("request_aborted", "client disconnected"));
  });
  return cancellation;
}
