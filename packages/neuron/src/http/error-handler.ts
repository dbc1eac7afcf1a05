import { fromHttpFrameworkError, hasUnreadBody, renderOpenAIError, toCortexError } from "@cortex/core";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";

/** The one place errors become responses on the neuron: OpenAI's envelope, the code table's status. */
export function neuronErrorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const cortexError = fromHttpFrameworkError(error) ?? toCortexError(error);
  if (cortexError.status >= 500) request.log.error({ err: error }, "request failed");
  const rendered = renderOpenAIError(cortexError, request.id);
  if (hasUnreadBody(request.raw)) void reply.header("connection", "close");
  void reply.status(rendered.status).headers(rendered.headers).send(rendered.body);
}
