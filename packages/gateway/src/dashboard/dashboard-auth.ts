import { CortexError } from "@cortex/core";
import type { FastifyRequest } from "fastify";
import { matchesAny, presentedKeys } from "../http/auth.js";

/**
 * The admin check of `/ui/events`, done in its handler rather than by the route table: a browser's
 * EventSource cannot send headers, so the page passes the admin key as `?key=` (the gateway does not log
 * request URLs). `Authorization: Bearer` and `x-api-key` work too, for curl.
 */
export function requireDashboardKey(adminKey: string | undefined, request: FastifyRequest): void {
  if (adminKey === undefined) return;
  const presented = presentedKeys(request.headers);
  const { key } = request.query as { key?: unknown };
  if (typeof key === "string" && key.length > 0) presented.push(key);
  if (presented.length === 0) {
    throw new CortexError(
      "authentication_failed",
      "missing admin key (?key=<key>, Authorization: Bearer <key> or x-api-key)",
    );
  }
  if (!matchesAny(presented, [adminKey])) throw new CortexError("authentication_failed", "invalid admin key");
}
