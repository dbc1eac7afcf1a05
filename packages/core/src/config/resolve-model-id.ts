import type { ModelProfile, ModelsConfig } from "./models-config-schema.js";

export interface ResolvedModelId {
  /** The model id as neurons report it (the requested id itself when nothing matched). */
  readonly id: string;
  readonly profile?: ModelProfile;
}

/**
 * Maps a requested model id to a profile: exact id first, then an exact alias, then the wildcard alias
 * ("claude-*") with the longest matching prefix. Unmatched ids pass through without a profile, since a
 * neuron may serve a model nobody wrote a profile for.
 */
export function resolveModelId(config: ModelsConfig, requestedId: string): ResolvedModelId {
  const byId = config.models.find((profile) => profile.id === requestedId);
  if (byId !== undefined) return { id: byId.id, profile: byId };

  let wildcard: { profile: ModelProfile; prefixLength: number } | undefined;
  for (const profile of config.models) {
    for (const alias of profile.aliases) {
      if (alias === requestedId) return { id: profile.id, profile };
      if (!alias.endsWith("*")) continue;
      const prefix = alias.slice(0, -1);
      if (
        requestedId.startsWith(prefix) &&
        (wildcard === undefined || prefix.length > wildcard.prefixLength)
      ) {
        wildcard = { profile, prefixLength: prefix.length };
      }
    }
  }
  return wildcard === undefined
    ? { id: requestedId }
    : { id: wildcard.profile.id, profile: wildcard.profile };
}

/** The profile of a model id (not an alias). */
export function findModelProfile(config: ModelsConfig, id: string): ModelProfile | undefined {
  return config.models.find((profile) => profile.id === id);
}
