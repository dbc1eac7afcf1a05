import { fromHttpFrameworkError, renderAnthropicError, renderOpenAIError, toCortexError } from "@cortex/core";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { dialectOfPath, wantsAnthropicShape } from "./dialect-of.js";

/** The one place errors become responses on the gateway, in the dialect of the route that failed. */
export function gatewayErrorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const failure = fromHttpFrameworkError(error) ?? toCortexError(error);
  if (failure.status >= 500 && failure.code === "internal_error")
    request.log.error({ reqId: request.id, err: error }, "request failed");
  const anthropic =
    dialectOfPath(request.url) === "anthropic" ||
    (request.url.startsWith("/v1/models") && wantsAnthropicShape(request.headers));
  const rendered = anthropic
    ? renderAnthropicError(failure, request.id)
    : renderOpenAIError(failure, request.id);
  void reply.status(rendered.status).headers(rendered.headers).send(rendered.body);
}
