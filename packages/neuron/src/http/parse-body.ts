import { CortexError } from "@cortex/core";
import type { z } from "zod";

/** Strict parsing for our own protocol: the first problem, with its path, as a 400. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.length ? issue.path.join(".") : "body";
  throw new CortexError("invalid_request", `${path}: ${issue?.message ?? "invalid"}`, { param: path });
}
