/**
 * Frames one JSON payload as an unnamed SSE message (the OpenAI dialect's framing).
 * `JSON.stringify` escapes every newline, so the payload always fits on one `data:` line.
 */
export function encodeSseData(json: unknown): string {
  return `data: ${JSON.stringify(json)}\n\n`;
}
