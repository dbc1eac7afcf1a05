import { TokenizeRequestSchema, decodeOpenAIChatRequest, type TokenizeResponse } from "@cortex/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { NeuronContext } from "../neuron-context.js";
import { abortOnDisconnect, parseBody } from "../route-helpers.js";

/**
 * Exact token counts for Anthropic `count_tokens`: chat messages and tools are rendered through the
 * model's own chat template, the same text the model would see. Needs the model loaded (the tokenizer
 * lives in the weights file), so a cold model is loaded on demand.
 */
export async function tokenize(
  ctx: NeuronContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<TokenizeResponse> {
  const body = parseBody(TokenizeRequestSchema, request.body);
  const disconnect = abortOnDisconnect(reply.raw);
  const lease = await ctx.manager.acquire(body.model, disconnect.signal);
  try {
    const tokens =
      "prompt" in body
        ? lease.model.tokenize(body.prompt)
        : lease.model.tokenizeChat(
            decodeOpenAIChatRequest({ model: body.model, messages: body.messages, tools: body.tools }).value,
          );
    return { model: body.model, count: tokens.length, tokens };
  } finally {
    lease.release();
  }
}
