/**
 * What the dialect translators share: the result they return, the id minting they are handed, lenient
 * reading of the JSON backends send, and which image URLs may be passed on to a neuron.
 */

/**
 * What every translator returns: the translated value plus one human-readable line per thing that was
 * dropped or changed on the way, so the caller can log it (pure code never logs).
 */
export interface Translation<T> {
  value: T;
  warnings: string[];
}

/** Mints ids such as `msg_01AbC…`; `prefix` includes its separator (`"msg_"`, `"chatcmpl-"`). */
export type NewId = (prefix: string) => string;

/** Narrows parsed JSON to a plain object, for lenient reading of what backends send. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * The image URLs a neuron may be handed: http(s), which it fetches itself, or inline `data:image/…`.
 * Any other scheme (file:, ftp:, a data URL of another type) must never reach it; both dialects' decoders
 * refuse those with the client's own field name.
 */
export function isNeuronImageUrl(url: string): boolean {
  return /^(https?:|data:image\/)/i.test(url);
}

export function isHttpUrl(url: string): boolean {
  return /^https?:/i.test(url);
}
