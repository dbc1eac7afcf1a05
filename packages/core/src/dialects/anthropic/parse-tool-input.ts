/**
 * Tool-call arguments (JSON text) → the object Anthropic's `input` must be. Empty means no arguments;
 * anything that is not a JSON object becomes `{}` plus the problem, never a crash: the tool then fails
 * its own validation instead of running with half an argument.
 */
export function parseToolInput(text: string): { input: Record<string, unknown>; problem?: string } {
  if (text.trim() === "") return { input: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return { input: value as Record<string, unknown> };
    }
    return { input: {}, problem: "arguments are JSON but not an object" };
  } catch {
    return { input: {}, problem: "arguments are not valid JSON" };
  }
}
