import { CortexError, PullRequestSchema } from "@cortex/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { abortOnDisconnect } from "../../cancellation.js";
import type { GatewayContext } from "../gateway-context.js";

const ModelActionSchema = z.object({ model: z.string().min(1), node: z.string().min(1).optional() });

const PullActionSchema = PullRequestSchema.extend({ node: z.string().min(1) });
const DeleteActionSchema = z.object({ model: z.string().min(1), node: z.string().min(1) });

function parseAction(body: unknown): z.infer<typeof ModelActionSchema> {
  return parseWith(ModelActionSchema, body);
}

function parseWith<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CortexError(
      "invalid_request",
      `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`,
    );
  }
  return parsed.data;
}

export function decisions(ctx: GatewayContext, request: FastifyRequest): unknown {
  const limit = Number((request.query as { limit?: string }).limit ?? 100);
  return { decisions: ctx.decisions.list(Number.isFinite(limit) && limit > 0 ? limit : 100) };
}

export async function adminLoad(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const action = parseAction(request.body);
  const id = ctx.resolveModel(action.model).id;
  const disconnect = abortOnDisconnect(reply.raw);
  await ctx.scheduler.load(id, action.node, request.id, disconnect.signal);
  return { model: id, loaded_on: ctx.catalog().find((entry) => entry.id === id)?.loaded_on ?? [] };
}

export async function adminUnload(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const action = parseAction(request.body);
  const id = ctx.resolveModel(action.model).id;
  const disconnect = abortOnDisconnect(reply.raw);
  const nodes = await ctx.scheduler.unload(id, action.node, request.id, disconnect.signal);
  return { model: id, unloaded_from: nodes };
}

export async function adminPin(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  pinned: boolean,
): Promise<unknown> {
  const action = parseAction(request.body);
  const id = ctx.resolveModel(action.model).id;
  if (!ctx.catalog().some((entry) => entry.id === id)) {
    throw new CortexError("model_not_found", `model ${id} is not served by any available node`, {
      param: "model",
    });
  }
  const disconnect = abortOnDisconnect(reply.raw);
  const nodes = await ctx.scheduler.setPinned(id, pinned, request.id, disconnect.signal);
  return { model: id, pinned, nodes };
}

/**
 * `POST /admin/models/pull {repo, file?, quant?, revision?, node}`: the node pulls from Hugging Face
 * itself (its own HF_TOKEN); 202 while it downloads, progress in `/admin/fleet`.
 */
export async function adminPull(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const { node, ...pull } = parseWith(PullActionSchema, request.body);
  const disconnect = abortOnDisconnect(reply.raw);
  const model = await ctx.nodeFiles.pull(node, pull, disconnect.signal);
  if (model.state === "downloading") void reply.code(202);
  return { node, model };
}

/** `POST /admin/models/delete {model, node}`: removes a model the node pulled (or cancels its pull). */
export async function adminDelete(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const { model, node } = parseWith(DeleteActionSchema, request.body);
  const disconnect = abortOnDisconnect(reply.raw);
  await ctx.nodeFiles.remove(node, model, disconnect.signal);
  return { node, model, deleted: true };
}
