import { encodeSseEvent } from "@cortex/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { GatewayContext } from "../http/gateway-context.js";
import { requireDashboardKey } from "./dashboard-auth.js";
import { dashboardFeedOf } from "./dashboard-feed.js";

const PING_MS = 15_000;

/**
 * `GET /ui/events`: a `snapshot` event on connect and every tick, a `decision` event per decision as it
 * is made, a `: ping` comment every 15 s. Everything is released when the client goes away.
 */
export function serveDashboardEvents(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  // The keys in force now: a reload that rotates them takes effect with the next connection.
  requireDashboardKey(ctx.runtime(), request);
  const feed = dashboardFeedOf(ctx);
  const server = reply.server.server;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
    // Not worth keeping alive for reuse, and a socket left idle after a shutdown would hold the close up.
    connection: "close",
    "x-request-id": request.id,
  });
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    clearInterval(ping);
    unsubscribe();
    res.end();
  };
  const send = (frame: string): void => {
    if (!open) return;
    // Shutting down: end the stream so the server's close is not held up by a dashboard left open.
    if (!server.listening) return close();
    res.write(frame);
  };
  const unsubscribe = feed.subscribe({
    snapshot: (snapshot) => send(encodeSseEvent("snapshot", snapshot)),
    decision: (decision) => send(encodeSseEvent("decision", decision)),
  });
  const ping = setInterval(() => send(": ping\n\n"), PING_MS);
  res.on("close", close);
  send("retry: 2000\n\n");
  send(encodeSseEvent("snapshot", feed.snapshot()));
  return reply;
}
