import type { FastifyRequest } from "fastify";
import type { GatewayRoute } from "../http/gateway-app.js";
import { sendDashboardAsset } from "./dashboard-assets.js";
import { serveDashboardEvents } from "./serve-dashboard-events.js";

/**
 * The fleet dashboard: `/ui` is a static page (public: it holds no data) that opens `/ui/events`.
 * The event stream needs what `/admin/*` needs, checked in its handler (`?key=` or the usual headers)
 * because a browser's EventSource cannot send headers: open `/ui?key=<admin key>` (or a client key when
 * only client keys are configured).
 */
export const DASHBOARD_ROUTES: readonly GatewayRoute[] = [
  {
    method: "GET",
    url: "/ui",
    access: "public",
    handler: (_ctx, _request, reply) => sendDashboardAsset(reply, "index.html"),
  },
  {
    method: "GET",
    url: "/ui/",
    access: "public",
    handler: (_ctx, request, reply) => {
      const query = request.url.indexOf("?");
      return reply.redirect(query < 0 ? "/ui" : `/ui${request.url.slice(query)}`);
    },
  },
  {
    method: "GET",
    url: "/ui/assets/:name",
    access: "public",
    handler: (_ctx, request, reply) =>
      sendDashboardAsset(reply, (request as FastifyRequest<{ Params: { name: string } }>).params.name),
  },
  { method: "GET", url: "/ui/events", access: "public", handler: serveDashboardEvents },
];
