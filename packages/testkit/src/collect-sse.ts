import { SseParser, type SseMessage } from "@cortex/core";

/** Reads a whole SSE body into messages (for asserting on exact event sequences). */
export async function collectSse(body: ReadableStream<Uint8Array> | null): Promise<SseMessage[]> {
  if (!body) return [];
  const parser = new SseParser();
  const messages: SseMessage[] = [];
  const decoder = body.getReader();
  for (;;) {
    const { done, value } = await decoder.read();
    if (done) break;
    messages.push(...parser.push(value));
  }
  messages.push(...parser.end());
  return messages;
}
