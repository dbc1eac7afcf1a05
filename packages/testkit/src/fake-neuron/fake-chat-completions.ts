import type { IncomingMessage, ServerResponse } from "node:http";
import { CortexError, SSE_DONE, TIMING_HEADERS, encodeSseData, toCortexError } from "@cortex/core";
import { abortableSleep, untilAborted } from "./abortable-sleep.js";
import { chatChunk, chatCompletionBody, usageChunk, wireUsage, type ChatWire } from "./fake-chat-wire.js";
import type { FakeKnobs } from "./fake-knobs.js";
import { FAKE_RETRY_AFTER_SECONDS, type FakeNode } from "./fake-node.js";
import { fakeReply, messagesText, words } from "./fake-tokens.js";
import { readJsonBody, sendJson } from "./http-json.js";
import { openAIErrorObject } from "./openai-error-envelope.js";
import { parseFakeChatRequest, type FakeChatRequest } from "./parse-fake-chat-request.js";
import { SseWriter } from "./sse-writer.js";
import { watchClient, type ClientWatch } from "./watch-client.js";

/** `POST /v1/chat/completions`: load on demand, then "generate" under the knobs read at arrival. */
export async function fakeChatCompletions(
  node: FakeNode,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  node.countRequest();
  const knobs = node.knobs;
  if (knobs.status503) throw noCapacity(node);
  const chat = parseFakeChatRequest(await readJsonBody(req));
  const slot = node.slot(chat.model);
  const client = watchClient(req, res, () => node.countAborted());
  const lease = await slot.acquire(client.signal);
  try {
    await generate(node, chat, knobs, { signal: lease.signal, client, res });
  } finally {
    lease.release();
  }
}

export function noCapacity(node: FakeNode): CortexError {
  return new CortexError("no_capacity", `fake neuron ${node.name} has no capacity (status503 knob)`, {
    retryAfter: FAKE_RETRY_AFTER_SECONDS,
  });
}

async function generate(
  node: FakeNode,
  chat: FakeChatRequest,
  knobs: FakeKnobs,
  io: { signal: AbortSignal; client: ClientWatch; res: ServerResponse },
): Promise<void> {
  const { signal, client, res } = io;
  const reply = fakeReply(knobs.replyText, chat.maxTokens);
  const promptTokens = words(messagesText(chat.messages)).length;
  const wire: ChatWire = {
    id: node.newId("chatcmpl-"),
    model: chat.model,
    created: Math.floor(Date.now() / 1000),
    includeUsage: chat.stream && chat.includeUsage,
  };
  const sse = chat.stream ? new SseWriter(res) : undefined;
  const send = (chunk: object): void => sse?.write(encodeSseData(chunk));
  let text = "";
  let sent = 0;
  const readyAt = Date.now();
  let firstPieceAt: number | undefined;
  try {
    await abortableSleep(knobs.firstByteDelayMs, signal);
    for (let i = 0; ; i++) {
      const interruption = interruptionAt(knobs, i, reply.pieces.length);
      if (interruption === "drop") return client.drop();
      if (interruption === "stall") await untilAborted(signal);
      const piece = reply.pieces[i];
      if (piece === undefined) break;
      await abortableSleep(knobs.tokenDelayMs, signal);
      if (i === 0) send(chatChunk(wire, { role: "assistant", content: "" }));
      send(chatChunk(wire, { content: piece }));
      firstPieceAt ??= Date.now();
      text += piece;
      sent++;
    }
    const usage = wireUsage(promptTokens, sent);
    if (!sse) {
      // Like the real neuron: non-streaming answers report their timings in headers.
      const timings = {
        [TIMING_HEADERS.ttft]: String(firstPieceAt === undefined ? 0 : firstPieceAt - readyAt),
        [TIMING_HEADERS.decode]: String(firstPieceAt === undefined ? 0 : Date.now() - firstPieceAt),
      };
      return sendJson(res, 200, chatCompletionBody(wire, text, reply.finishReason, usage), timings);
    }
    if (sent === 0) send(chatChunk(wire, { role: "assistant", content: "" }));
    send(chatChunk(wire, {}, reply.finishReason));
    if (wire.includeUsage) send(usageChunk(wire, usage));
    sse.write(SSE_DONE);
    sse.end();
  } catch (error) {
    if (client.gone) return;
    const failure = toCortexError(error);
    if (!sse?.opened) throw failure;
    // Headers are gone (a forced unload mid-stream): the error becomes the stream's last event.
    send({ error: openAIErrorObject(failure) });
    sse.write(SSE_DONE);
    sse.end();
  }
}

/** Whether the `drop`/`stall` knob hits before token `i`; a count past the reply hits before the finish. */
function interruptionAt(knobs: FakeKnobs, i: number, total: number): "drop" | "stall" | null {
  const hits = (n: number | null): boolean => n !== null && (n === i || (i === total && n > total));
  if (hits(knobs.dropAfterTokens)) return "drop";
  if (hits(knobs.stallAfterTokens)) return "stall";
  return null;
}
