import { readSseMessages } from "@cortex/core";
import type { Dispatcher } from "undici";
import { chatBody } from "./chat-body.js";
import type { StreamSample } from "./stream-sample.js";

interface ChunkShape {
  choices?: { delta?: { content?: string | null } }[];
  usage?: {
    completion_tokens?: number;
    prompt_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number };
  } | null;
  error?: unknown;
}

export type ChatMessage = { role: "system" | "user" | "assistant"; content: string };

/** A stream's sample and the response headers (the gateway's `x-cortex-node`, `x-cortex-route`). */
export type StreamChatResult = StreamSample & { headers: Dispatcher.ResponseData["headers"] };

/**
 * One streaming `POST /v1/chat/completions` through `dispatcher` (one user message, or `messages`):
 * times the first and last content chunks and takes the token counts from the final usage chunk. The
 * whole exchange, body included, is bounded by `timeoutMs`.
 */
export async function streamChat(
  dispatcher: Dispatcher,
  request: { model: string; prompt: string | ChatMessage[]; maxTokens: number; timeoutMs: number },
): Promise<StreamChatResult> {
  const startedAt = performance.now();
  const response = await dispatcher.request({
    method: "POST",
    path: "/v1/chat/completions",
    headers: { "content-type": "application/json" },
    body: chatBody(request.model, request.prompt, request.maxTokens, true),
    signal: AbortSignal.timeout(request.timeoutMs),
  });
  if (response.statusCode !== 200) {
    throw new Error(`HTTP ${response.statusCode}: ${(await response.body.text()).slice(0, 300)}`);
  }
  let firstTokenAt: number | undefined;
  let lastTokenAt: number | undefined;
  let tokens = 0;
  let promptTokens = 0;
  let cachedTokens = 0;
  let text = "";
  for await (const message of readSseMessages(response.body)) {
    if (message.data === "[DONE]") continue;
    const chunk = JSON.parse(message.data) as ChunkShape;
    if (chunk.error !== undefined) throw new Error(`stream error: ${message.data.slice(0, 300)}`);
    const content = chunk.choices?.[0]?.delta?.content;
    if (typeof content === "string" && content !== "") {
      lastTokenAt = performance.now();
      firstTokenAt ??= lastTokenAt;
      text += content;
    }
    if (chunk.usage) {
      tokens = chunk.usage.completion_tokens ?? tokens;
      promptTokens = chunk.usage.prompt_tokens ?? promptTokens;
      cachedTokens = chunk.usage.prompt_tokens_details?.cached_tokens ?? cachedTokens;
    }
  }
  const endedAt = performance.now();
  return {
    startedAt,
    firstTokenAt,
    lastTokenAt,
    endedAt,
    tokens,
    text,
    promptTokens,
    cachedTokens,
    headers: response.headers,
  };
}
