import {
  CortexError,
  LoadRequestSchema,
  PinRequestSchema,
  PullRequestSchema,
  UnloadRequestSchema,
  isCortexError,
  type DeleteResponse,
  type LifecycleResponse,
  type PullResponse,
} from "@cortex/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { NeuronContext } from "../neuron-context.js";
import { abortOnDisconnect, parseBody } from "../route-helpers.js";
import { checkRepoId } from "../../hub/select-pull-files.js";

export async function loadModel(
  ctx: NeuronContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<LifecycleResponse> {
  const body = parseBody(LoadRequestSchema, request.body);
  ctx.onLifecycleRequest?.("load", body.model);
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
  ctx.onLifecycleRequest?.("unload", body.model);
  return { model: await ctx.manager.unload(body.model, body.force === true) };
}

/** Sets or clears a model's runtime pin; the node only keeps and reports it, gateways act on it. */
export async function pinModel(ctx: NeuronContext, request: FastifyRequest): Promise<LifecycleResponse> {
  const body = parseBody(PinRequestSchema, request.body);
  return { model: await ctx.manager.pin(body.model, body.pinned) };
}

/** 202 with the "downloading" row, or 200 with the model's row when it was already pulled. */
export async function pullModel(
  ctx: NeuronContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<PullResponse> {
  const body = parseBody(PullRequestSchema, request.body);
  if (body.file !== undefined && body.quant !== undefined) {
    throw new CortexError("invalid_request", "give file or quant, not both", { param: "quant" });
  }
  checkRepoId(body.repo);
  await ctx.manager.refresh(true);
  const started = await ctx.pulls.start(body, (id) => ctx.manager.has(id));
  if ("present" in started) return { model: await ctx.manager.describe(started.present) };
  void reply.code(202);
  return { model: started.pulling };
}

/** Cancels a pull or removes a pulled model (unloading it first, waiting for its requests). */
export async function deleteModel(
  ctx: NeuronContext,
  request: FastifyRequest<{ Params: { model: string } }>,
): Promise<DeleteResponse> {
  const id = request.params.model;
  await ctx.pulls.delete(id, async () => {
    await ctx.manager.unload(id, false).catch((error: unknown) => {
      // Not listed (its files are already gone): nothing to unload.
      if (!(isCortexError(error) && error.code === "model_not_found")) throw error;
    });
  });
  await ctx.manager.refresh(true);
  return { model: id, deleted: true };
}
