import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { SSE_DONE, SseParser } from "@cortex/core";

export interface RelayTap {
  /** A chunk carried generated content (text, reasoning or tool-call arguments). */
  onToken(): void;
  onUsage(promptTokens: number, completionTokens: number): void;
}

/**
 * Passes an OpenAI SSE stream from a neuron to the client message by message, with backpressure (the
 * next upstream chunk is read only once the client has taken the last). The usage-only chunk the gateway
 * asked for on its own behalf is taken out when the client did not ask for it.
 */
export async function relayOpenAIStream(
  upstream: AsyncIterable<Buffer>,
  res: ServerResponse,
  options: { forwardUsageChunk: boolean; tap: RelayTap },
): Promise<void> {
  const parser = new SseParser();
  const forward = async (frame: string): Promise<void> => {
    if (res.destroyed) return;
    if (!res.write(frame)) await Promise.race([once(res, "drain"), once(res, "close")]);
  };
  for await (const chunk of upstream) {
    for (const message of parser.push(chunk)) {
      if (message.data === "[DONE]") {
        await forward(SSE_DONE);
        continue;
      }
      const keep = inspectChunk(message.data, options);
      if (keep) await forward(frameData(message.data));
    }
  }
  for (const message of parser.end()) {
    if (message.data === "[DONE]") await forward(SSE_DONE);
    else if (inspectChunk(message.data, options)) await forward(frameData(message.data));
  }
}

interface ChunkShape {
  choices?: { delta?: { content?: unknown; reasoning_content?: unknown; tool_calls?: unknown } }[] | null;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

function inspectChunk(data: string, options: { forwardUsageChunk: boolean; tap: RelayTap }): boolean {
  let chunk: ChunkShape;
  try {
    chunk = JSON.parse(data) as ChunkShape;
  } catch {
    return true;
  }
  const delta = chunk.choices?.[0]?.delta;
  if (
    delta &&
    (nonEmpty(delta.content) || nonEmpty(delta.reasoning_content) || delta.tool_calls !== undefined)
  ) {
    options.tap.onToken();
  }
  if (chunk.usage) {
    options.tap.onUsage(chunk.usage.prompt_tokens ?? 0, chunk.usage.completion_tokens ?? 0);
    const usageOnly = !chunk.choices || chunk.choices.length === 0;
    if (usageOnly && !options.forwardUsageChunk) return false;
  }
  return true;
}

/** Re-frames the upstream's data verbatim: no parse-and-stringify round trip on the hot path. */
function frameData(data: string): string {
  return `${data
    .split("\n")
    .map((line) => `data: ${line}`)
    .join("\n")}\n\n`;
}

function nonEmpty(value: unknown): boolean {
  return typeof value === "string" && value !== "";
}
