import { fromHttpFrameworkError, hasUnreadBody, toCortexError } from "@cortex/core";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { ANTHROPIC, dialectOfPath, OPENAI, wantsAnthropicShape } from "../dialects/dialect.js";
import type { Dialect } from "../pipeline/exchange.js";

/** The one place errors become responses on the gateway, in the dialect of the route that failed. */
export function gatewayErrorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const failure = fromHttpFrameworkError(error) ?? toCortexError(error);
  if (failure.status >= 500 && failure.code === "internal_error")
    request.log.error({ reqId: request.id, err: error }, "request failed");
  const rendered = dialectOf(request).renderError(failure, request.id);
  if (hasUnreadBody(request.raw)) void reply.header("connection", "close");
  void reply.status(rendered.status).headers(rendered.headers).send(rendered.body);
}

function dialectOf(request: FastifyRequest): Dialect {
  const routed = (request.routeOptions.config as { dialect?: Dialect } | undefined)?.dialect;
  if (routed) return routed;
  // Unknown routes (and bodies refused before routing) answer in the dialect their path implies.
  const anthropic =
    dialectOfPath(request.url) === "anthropic" ||
    (request.url.startsWith("/v1/models") && wantsAnthropicShape(request.headers));
  return anthropic ? ANTHROPIC : OPENAI;
}
