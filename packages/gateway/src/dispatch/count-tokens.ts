import { decodeAnthropicCountTokensRequest, encodeOpenAIChatRequest } from "@cortex/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { GatewayContext } from "../http/gateway-context.js";
import { abortOnDisconnect } from "./abort-on-disconnect.js";

/**
 * `POST /v1/messages/count_tokens`: exact counts from the serving model's own tokenizer and chat
 * template (system + tools + messages, rendered as the model will see them), via the neuron's /tokenize.
 * The tokenizer lives in the weights file, so a cold model is loaded first.
 */
export async function countTokens(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const decoded = decodeAnthropicCountTokensRequest(request.body);
  const model = ctx.resolveModel(decoded.value.model);
  const body = encodeOpenAIChatRequest({ ...decoded.value, model: model.id, stream: false });
  const disconnect = abortOnDisconnect(reply.raw);
  // With tool_choice none the neuron renders no tools into the prompt (it generates without them).
  const tools = decoded.value.toolChoice.type === "none" ? undefined : body.tools;
  const count = await ctx.tokenize(model.id, { model: model.id, messages: body.messages, tools }, disconnect);
  return { input_tokens: count };
}
