import type { SseMessage } from "./sse-message.js";
import { SseParser } from "./sse-parser.js";

/** Adapts any chunk source (an undici body, a Node stream) to a sequence of SSE messages. */
export async function* readSseMessages(
  source: AsyncIterable<string | Uint8Array>,
): AsyncGenerator<SseMessage, void, undefined> {
  const parser = new SseParser();
  for await (const chunk of source) yield* parser.push(chunk);
  yield* parser.end();
}
