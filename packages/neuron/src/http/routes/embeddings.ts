import { CortexError, encodeOpenAIEmbeddingsResponse, parseOpenAIEmbeddingsRequest } from "@cortex/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import { abortOnDisconnect } from "../route-helpers.js";
import type { NeuronContext } from "../neuron-context.js";

export async function embeddings(
  ctx: NeuronContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const body = parseOpenAIEmbeddingsRequest(request.body);
  const inputs = typeof body.input === "string" ? [body.input] : body.input;
  if (!inputs.every((input): input is string => typeof input === "string")) {
    throw new CortexError("invalid_request", "input: token-id arrays are not supported; send text", {
      param: "input",
    });
  }
  const disconnect = abortOnDisconnect(reply.raw);
  const lease = await ctx.manager.acquire(body.model, disconnect.signal);
  try {
    const { vectors, promptTokens } = await lease.model.embed(inputs, lease.signal);
    ctx.metrics.promptTokens.inc({ model: body.model }, promptTokens);
    return encodeOpenAIEmbeddingsResponse({
      model: body.model,
      embeddings: vectors,
      promptTokens,
      encodingFormat: body.encoding_format ?? null,
    });
  } finally {
    lease.release();
  }
}
