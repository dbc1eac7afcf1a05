import type { NeuronInfo, NeuronModelsResponse } from "@cortex/core";
import type { FastifyReply } from "fastify";
import type { NeuronContext } from "../neuron-context.js";

export function health(): { status: "ok" } {
  return { status: "ok" };
}

export function info(ctx: NeuronContext): Promise<NeuronInfo> {
  return ctx.info();
}

export async function models(ctx: NeuronContext): Promise<NeuronModelsResponse> {
  await ctx.manager.refresh();
  const info = await ctx.info();
  const listed = ctx.manager.list();
  // A pull leaves the list once its model is listed (the rescan comes first), so never both.
  const pulls = ctx.pulls.models().filter((pull) => !listed.some((model) => model.id === pull.id));
  return { node: info.node, models: [...listed, ...pulls], unsupported: [...ctx.manager.unsupported] };
}

export async function openaiModels(ctx: NeuronContext): Promise<unknown> {
  await ctx.manager.refresh();
  return {
    object: "list",
    data: ctx.manager
      .list()
      .filter((model) => model.state !== "failed")
      .map((model) => ({
        id: model.id,
        object: "model",
        created: Math.floor((model.last_used ?? 0) / 1000),
        owned_by: "cortex",
        context_length: model.context_length,
        state: model.state,
      })),
  };
}

export async function metrics(ctx: NeuronContext, reply: FastifyReply): Promise<string> {
  void reply.header("content-type", ctx.registry.contentType);
  return ctx.registry.metrics();
}
