import type { IncomingMessage, ServerResponse } from "node:http";
import { CortexError } from "@cortex/core";

export interface ClientWatch {
  /** Aborts when the client goes away before the response is finished. */
  signal: AbortSignal;
  /** The client left on its own (not through `drop`). */
  readonly gone: boolean;
  /** Destroys the connection on purpose (the `dropAfterTokens` knob); not counted as a client abort. */
  drop(): void;
}

export function watchClient(req: IncomingMessage, res: ServerResponse, onAbort: () => void): ClientWatch {
  const controller = new AbortController();
  let dropped = false;
  let gone = false;
  res.on("close", () => {
    if (res.writableFinished) return;
    if (!dropped) {
      gone = true;
      onAbort();
    }
    controller.abort(new CortexError("request_aborted", "client disconnected"));
  });
  return {
    signal: controller.signal,
    get gone() {
      return gone;
    },
    drop: () => {
      dropped = true;
      // What was written should reach the client first, or a drop after n tokens would look like one at 0.
      const socket = req.socket;
      if (socket.writableLength === 0) socket.destroy();
      else socket.write("", () => socket.destroy());
    },
  };
}
