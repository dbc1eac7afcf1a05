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
