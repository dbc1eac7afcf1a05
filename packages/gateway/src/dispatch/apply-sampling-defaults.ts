import type { ModelProfile } from "@cortex/core";

/** models.toml sampling defaults fill in what the request left out; the request always wins. */
export function applySamplingDefaults(
  body: Record<string, unknown>,
  profile: ModelProfile | undefined,
  path: string,
): Record<string, unknown> {
  if (!profile || path === "/v1/embeddings") return body;
  const sampling = profile.sampling;
  const out = { ...body };
  if (out.temperature === undefined && sampling.temperature !== undefined)
    out.temperature = sampling.temperature;
  if (out.top_p === undefined && sampling.topP !== undefined) out.top_p = sampling.topP;
  if (out.top_k === undefined && sampling.topK !== undefined) out.top_k = sampling.topK;
  const hasMax = out.max_tokens !== undefined || out.max_completion_tokens !== undefined;
  if (!hasMax && sampling.maxTokens !== undefined) out.max_tokens = sampling.maxTokens;
  return out;
}
