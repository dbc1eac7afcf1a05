import {
  CortexError,
  createOpenAICompletionChunkEncoder,
  encodeOpenAICompletionResponse,
  parseOpenAICompletionRequest,
} from "@cortex/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { NeuronContext } from "../neuron-context.js";
import { runGeneration } from "../run-generation.js";

export async function completions(
  ctx: NeuronContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const body = parseOpenAICompletionRequest(request.body);
  if (typeof body.prompt !== "string") {
    // One prompt per request keeps usage and streaming one-to-one; batch by sending several requests.
    throw new CortexError("invalid_request", "prompt: only a single string prompt is supported", {
      param: "prompt",
    });
  }
  const prompt = body.prompt;
  const id = ctx.newId("cmpl-");
  const created = Math.floor(ctx.now() / 1000);
  const includeUsage = body.stream_options?.include_usage === true;
  const encoder = createOpenAICompletionChunkEncoder({ id, model: body.model, created, includeUsage });
  const stop = body.stop == null ? [] : typeof body.stop === "string" ? [body.stop] : body.stop;
  return runGeneration(ctx, request, reply, {
    model: body.model,
    endpoint: "completions",
    stream: body.stream === true,
    start: { type: "start", id, model: body.model, created },
    generate: (model, options) =>
      model.complete(
        {
          prompt,
          stop,
          ...(body.max_tokens == null ? {} : { maxTokens: body.max_tokens }),
          ...(body.temperature == null ? {} : { temperature: body.temperature }),
          ...(body.top_p == null ? {} : { topP: body.top_p }),
          ...(body.top_k == null ? {} : { topK: body.top_k }),
          ...(body.seed == null ? {} : { seed: body.seed }),
        },
        options,
      ),
    encodeEvent: (event) => encoder.encode(event),
    encodeResult: (result) =>
      encodeOpenAICompletionResponse({
        id,
        model: body.model,
        created,
        text: result.text,
        finishReason: result.finishReason,
        ...(result.stopSequence === undefined ? {} : { stopSequence: result.stopSequence }),
        usage: result.usage,
      }),
  });
}
