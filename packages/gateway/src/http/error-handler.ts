import { CortexError, renderAnthropicError, renderOpenAIError, toCortexError } from "@cortex/core";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { dialectOfPath, wantsAnthropicShape } from "./dialect-of.js";

/** The one place errors become responses on the gateway, in the dialect of the route that failed. */
export function gatewayErrorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const failure = fromFastifyError(error) ?? toCortexError(error);
  if (failure.status >= 500 && failure.code === "internal_error")
    request.log.error({ err: error }, "request failed");
  const anthropic =
    dialectOfPath(request.url) === "anthropic" ||
    (request.url.startsWith("/v1/models") && wantsAnthropicShape(request.headers));
  const rendered = anthropic
    ? renderAnthropicError(failure, request.id)
    : renderOpenAIError(failure, request.id);
  void reply.status(rendered.status).headers(rendered.headers).send(rendered.body);
}

function fromFastifyError(error: FastifyError | Error): CortexError | null {
  if (error instanceof CortexError || !("code" in error)) return null;
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new CortexError("request_too_large", "request body too large", { cause: error });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new CortexError("invalid_request", "content-type must be application/json", { cause: error });
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new CortexError("invalid_request", error.message, { cause: error });
    default:
      if (error instanceof SyntaxError || ("statusCode" in error && error.statusCode === 400)) {
        return new CortexError("invalid_request", `invalid JSON body: ${error.message}`, { cause: error });
      }
      return null;
  }
}
