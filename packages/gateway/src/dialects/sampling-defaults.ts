import type { ModelProfile } from "@cortex/core";

/** The sampling fields models.toml may default, by their canonical name. */
export interface SamplingValues {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
}

type Field = keyof SamplingValues;
const FIELDS: readonly Field[] = ["temperature", "topP", "topK", "maxTokens"];

/**
 * The one rule for models.toml sampling defaults: they fill in what the request left out; the request
 * always wins. Returns only the defaults to add, whatever the dialect spells the fields.
 */
export function samplingDefaults(
  profile: ModelProfile | undefined,
  present: (field: Field) => boolean,
): SamplingValues {
  const defaults: SamplingValues = {};
  if (!profile) return defaults;
  for (const field of FIELDS) {
    const value = profile.sampling[field];
    if (value !== undefined && !present(field)) defaults[field] = value;
  }
  return defaults;
}

/** The same defaults under OpenAI's wire names, for bodies passed through untranslated. */
export function openAISamplingDefaults(
  body: Readonly<Record<string, unknown>>,
  profile: ModelProfile | undefined,
): Record<string, number> {
  const defaults = samplingDefaults(profile, (field) =>
    field === "maxTokens"
      ? body.max_tokens !== undefined || body.max_completion_tokens !== undefined
      : body[OPENAI_NAMES[field]] !== undefined,
  );
  const out: Record<string, number> = {};
  for (const [field, value] of Object.entries(defaults) as [Field, number][])
    out[OPENAI_NAMES[field]] = value;
  return out;
}

const OPENAI_NAMES: Readonly<Record<Field, string>> = {
  temperature: "temperature",
  topP: "top_p",
  topK: "top_k",
  maxTokens: "max_tokens",
};
