import { CortexError, renderOpenAIError, toCortexError } from "@cortex/core";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";

/** The one place errors become responses on the neuron: OpenAI's envelope, the code table's status. */
export function neuronErrorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const cortexError = fromFastifyError(error) ?? toCortexError(error);
  if (cortexError.status >= 500) request.log.error({ err: error }, "request failed");
  const rendered = renderOpenAIError(cortexError, request.id);
  void reply.status(rendered.status).headers(rendered.headers).send(rendered.body);
}

function fromFastifyError(error: FastifyError | Error): CortexError | null {
  if (error instanceof CortexError || !("code" in error)) return null;
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new CortexError("request_too_large", "request body too large", { cause: error });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
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
