import { CortexError, encodeAnthropicModel, encodeAnthropicModelList } from "@cortex/core";
import type { FastifyRequest } from "fastify";
import type { CatalogEntry } from "../../catalog/model-catalog.js";
import { wantsAnthropicShape } from "../../dialects/dialect.js";
import type { GatewayContext } from "../gateway-context.js";

/** `GET /v1/models`: the merged catalogue, OpenAI shape plus where each model is, or Anthropic's shape. */
export function listModels(ctx: GatewayContext, request: FastifyRequest): unknown {
  const catalog = ctx.catalog();
  if (wantsAnthropicShape(request.headers)) {
    const query = request.query as { limit?: string; after_id?: string; before_id?: string };
    return encodeAnthropicModelList(catalog.map(toAnthropicModel), {
      ...(query.limit === undefined ? {} : { limit: query.limit }),
      ...(query.after_id === undefined ? {} : { afterId: query.after_id }),
      ...(query.before_id === undefined ? {} : { beforeId: query.before_id }),
    });
  }
  return { object: "list", data: catalog.map(toOpenAIModel) };
}

export function getModel(ctx: GatewayContext, request: FastifyRequest<{ Params: { id: string } }>): unknown {
  const id = request.params.id;
  const entry = ctx.catalog().find((candidate) => candidate.id === id);
  if (!entry) throw new CortexError("model_not_found", `model ${id} not found`, { param: "model" });
  if (wantsAnthropicShape(request.headers)) {
    return encodeAnthropicModel(toAnthropicModel(entry));
  }
  return toOpenAIModel(entry);
}

function toAnthropicModel(entry: CatalogEntry): { id: string; displayName: string; createdAt: number } {
  return {
    id: entry.id,
    displayName: entry.alias_of ? `${entry.id} (${entry.alias_of})` : entry.id,
    createdAt: 0,
  };
}

function toOpenAIModel(entry: CatalogEntry): Record<string, unknown> {
  return { ...entry, object: "model", created: 0, owned_by: "cortex" };
}
