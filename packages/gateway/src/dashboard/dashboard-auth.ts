import { CortexError } from "@cortex/core";
import type { FastifyRequest } from "fastify";
import { matchesAny, presentedKeys } from "../http/auth.js";

/**
 * The admin check of `/ui/events`, done in its handler rather than by the route table: a browser's
 * EventSource cannot send headers, so the page passes the key as `?key=` (the gateway does not log
 * request URLs). `Authorization: Bearer` and `x-api-key` work too, for curl. The credential is the one
 * `/admin/*` needs: the admin key when one is set, else a client key when client keys are set, else none.
 */
export function requireDashboardKey(
  keys: { adminKey: string | undefined; apiKeys: readonly string[] },
  request: FastifyRequest,
): void {
  const allowed = keys.adminKey !== undefined ? [keys.adminKey] : keys.apiKeys;
  if (allowed.length === 0) return;
  const what = keys.adminKey !== undefined ? "admin key" : "API key";
  const presented = presentedKeys(request.headers);
  const { key } = request.query as { key?: unknown };
  if (typeof key === "string" && key.length > 0) presented.push(key);
  if (presented.length === 0) {
    throw new CortexError(
      "authentication_failed",
      `missing ${what} (?key=<key>, Authorization: Bearer <key> or x-api-key)`,
    );
  }
  if (!matchesAny(presented, allowed)) throw new CortexError("authentication_failed", `invalid ${what}`);
}
