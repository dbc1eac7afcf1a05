import { completePartialJson } from "../shared/complete-partial-json.js";

/**
 * Tool-call arguments (JSON text) → the object Anthropic's `input` must be. Empty means no arguments;
 * anything that is not a JSON object becomes `{}` plus the problem, never a crash: the tool then fails
 * its own validation instead of running with half an argument.
 *
 * `cutOff`: the reply ran out of tokens (`max_tokens`), so the last call's text stops mid-way. Its
 * `input` is then what was complete (`completePartialJson`), which is what the Anthropic SDK assembles
 * from the same text streamed; `stop_reason: "max_tokens"` tells the client the call is unfinished.
 */
export function parseToolInput(
  text: string,
  options: { cutOff?: boolean } = {},
): { input: Record<string, unknown>; problem?: string } {
  if (text.trim() === "") return { input: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (isObject(value)) return { input: value };
    return { input: {}, problem: "arguments are JSON but not an object" };
  } catch {
    if (options.cutOff) {
      const partial = completePartialJson(text);
      if (isObject(partial)) return { input: partial };
    }
    return { input: {}, problem: "arguments are not valid JSON" };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
