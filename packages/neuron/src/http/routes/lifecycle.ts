import { LoadRequestSchema, UnloadRequestSchema, type LifecycleResponse } from "@cortex/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import { abortOnDisconnect } from "../abort-on-disconnect.js";
import type { NeuronContext } from "../neuron-context.js";
import { parseBody } from "../parse-body.js";

export async function loadModel(
  ctx: NeuronContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<LifecycleResponse> {
  const body = parseBody(LoadRequestSchema, request.body);
  const disconnect = abortOnDisconnect(reply.raw);
  const model = await ctx.manager.load(
    body.model,
    { contextSize: body.context_size, gpuLayers: body.gpu_layers },
    disconnect.signal,
  );
  return { model };
}

export async function unloadModel(ctx: NeuronContext, request: FastifyRequest): Promise<LifecycleResponse> {
  const body = parseBody(UnloadRequestSchema, request.body);
  return { model: await ctx.manager.unload(body.model, body.force === true) };
}
