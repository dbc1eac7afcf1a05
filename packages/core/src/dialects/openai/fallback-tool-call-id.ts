/**
 * An id for a tool call the backend sent without one. Deterministic (this code has no random source) and
 * unique as long as response ids are: `call_<response id>_<index>`, restricted to `[a-zA-Z0-9_-]`.
 */
export function fallbackToolCallId(responseId: string, index: number): string {
  const base = responseId.replace(/[^a-zA-Z0-9_-]/g, "_");
  return base === "" ? `call_${index}` : `call_${base}_${index}`;
}
