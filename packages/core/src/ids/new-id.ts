import { randomUUID } from "node:crypto";

/**
 * Unique ids for requests, messages and tool calls (`req_…`, `msg_…`, `call_…`): `prefix` plus 32 hex
 * characters. `randomUUID` draws from a cached entropy pool, so it is cheap enough for every request.
 */
export function newId(prefix: string): string {
  return `${prefix}${randomUUID().replaceAll("-", "")}`;
}
