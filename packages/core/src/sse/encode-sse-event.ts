/**
 * Frames one JSON payload as a named SSE message (the Anthropic dialect's framing: clients dispatch on
 * the `event:` line and ignore frames without one).
 */
export function encodeSseEvent(event: string, json: unknown): string {
  if (/[\r\n]/.test(event))
    throw new TypeError(`SSE event name must be a single line: ${JSON.stringify(event)}`);
  return `event: ${event}\ndata: ${JSON.stringify(json)}\n\n`;
}
