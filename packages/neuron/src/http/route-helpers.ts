import type { ServerResponse } from "node:http";
import { CortexError } from "@cortex/core";
import type { z } from "zod";

/** What the neuron's routes share: strict parsing of bodies in its own protocol, and cancellation. */

/** Strict parsing for our own protocol: the first problem, with its path, as a 400. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.length ? issue.path.join(".") : "body";
  throw new CortexError("invalid_request", `${path}: ${issue?.message ?? "invalid"}`, { param: path });
}

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
