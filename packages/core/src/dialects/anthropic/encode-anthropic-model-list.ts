import { CortexError } from "../../errors/cortex-error.js";

export interface AnthropicModelInput {
  id: string;
  displayName?: string;
  /** RFC 3339, or Unix seconds. */
  createdAt: string | number;
}

export interface AnthropicModelInfo {
  type: "model";
  id: string;
  display_name: string;
  created_at: string;
}

export interface AnthropicModelList {
  data: AnthropicModelInfo[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

export interface AnthropicModelListOptions {
  /** 1..1000, default 20; strings are accepted as they come from the query. */
  limit?: number | string;
  afterId?: string;
  beforeId?: string;
}

/** One model, for `GET /v1/models/{id}`. */
export function encodeAnthropicModel(model: AnthropicModelInput): AnthropicModelInfo {
  const createdAt =
    typeof model.createdAt === "number" ? new Date(model.createdAt * 1000).toISOString() : model.createdAt;
  return { type: "model", id: model.id, display_name: model.displayName ?? model.id, created_at: createdAt };
}

/**
 * `GET /v1/models` in Anthropic's shape, paged like the real API: `after_id` pages forward, `before_id`
 * backward, `has_more` says whether more exist in that direction. Models are listed in the order given.
 * An unknown cursor id yields an empty page.
 */
export function encodeAnthropicModelList(
  models: readonly AnthropicModelInput[],
  options: AnthropicModelListOptions = {},
): AnthropicModelList {
  const limit = parseLimit(options.limit);
  let page: readonly AnthropicModelInput[];
  let hasMore: boolean;
  if (options.beforeId !== undefined) {
    const end = models.findIndex((model) => model.id === options.beforeId);
    const start = Math.max(0, end - limit);
    page = end === -1 ? [] : models.slice(start, end);
    hasMore = end !== -1 && start > 0;
  } else {
    const start =
      options.afterId === undefined ? 0 : models.findIndex((model) => model.id === options.afterId) + 1;
    page = start === 0 && options.afterId !== undefined ? [] : models.slice(start, start + limit);
    hasMore = page.length > 0 && start + limit < models.length;
  }
  const data = page.map(encodeAnthropicModel);
  return { data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}

function parseLimit(limit: number | string | undefined): number {
  if (limit === undefined || limit === "") return 20;
  const value = typeof limit === "number" ? limit : Number(limit);
  if (!Number.isInteger(value) || value < 1 || value > 1000) {
    throw new CortexError(
      "invalid_request",
      `limit: must be an integer between 1 and 1000, got ${String(limit)}`,
      {
        param: "limit",
      },
    );
  }
  return value;
}
