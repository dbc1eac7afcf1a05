import {
  SSE_DONE,
  StreamBlocks,
  TIMING_HEADERS,
  encodeSseData,
  toCortexError,
  type ChatStreamEvent,
  type Usage,
} from "@cortex/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ChatResult, EngineModel, GenerateOptions } from "../engine/engine.js";
import { abortOnDisconnect } from "./route-helpers.js";
import type { NeuronContext } from "./neuron-context.js";
import { SseResponse } from "./sse-response.js";

export interface GenerationSpec {
  model: string;
  endpoint: "chat" | "completions";
  stream: boolean;
  forceToolCall?: string;
  forceThought?: boolean;
  generate: (model: EngineModel, options: GenerateOptions) => Promise<ChatResult>;
  /** Wire objects for one canonical event (streaming). */
  encodeEvent: (event: ChatStreamEvent) => unknown[];
  /** Wire object for the whole result (non-streaming). */
  encodeResult: (result: ChatResult) => unknown;
  /**
   * The `start` event for this response, sent (with the prompt's usage) once the prompt has its sequence,
   * before prompt processing: that is when a streaming response's headers go out.
   */
  start: Extract<ChatStreamEvent, { type: "start" }>;
}

/**
 * The one path every generation takes on a neuron: acquire the model (loading it on demand), generate
 * on a sequence, stream or return, and record metrics. A client disconnect aborts the generation.
 */
export async function runGeneration(
  ctx: NeuronContext,
  request: FastifyRequest,
  reply: FastifyReply,
  spec: GenerationSpec,
): Promise<unknown> {
  const started = ctx.now();
  const disconnect = abortOnDisconnect(reply.raw);
  let status = 200;
  let result: ChatResult | undefined;
  let ready = started;
  let firstTokenAt: number | undefined;
  const sse = spec.stream
    ? new SseResponse(reply.raw, { "x-request-id": request.id }, () => reply.hijack())
    : undefined;
  const send = (event: ChatStreamEvent): void => {
    if (sse) for (const chunk of spec.encodeEvent(event)) sse.write(encodeSseData(chunk));
  };
  let startSent = false;
  const sendStart = (promptUsage?: Usage): void => {
    if (startSent) return;
    startSent = true;
    send(promptUsage ? { ...spec.start, usage: promptUsage } : spec.start);
  };
  // The engine emits content as it comes; the canonical stream gets its block boundaries here.
  const blocks = new StreamBlocks();
  try {
    const lease = await ctx.manager.acquire(spec.model, disconnect.signal);
    ready = ctx.now();
    try {
      result = await spec.generate(lease.model, {
        signal: lease.signal,
        ...(spec.forceToolCall === undefined ? {} : { forceToolCall: spec.forceToolCall }),
        ...(spec.forceThought === true ? { forceThought: true } : {}),
        onStarted: (promptUsage) => {
          if (!sse) return;
          // A comment line opens the stream (headers out) before the first token of a long prompt, then
          // the start (a prompt_usage chunk when the client asked for one).
          sse.write(": generating\n\n");
          sendStart(promptUsage);
        },
        onEvent: (delta) => {
          firstTokenAt ??= ctx.now();
          sendStart();
          for (const event of blocks.push(delta)) send(event);
        },
      });
    } finally {
      lease.release();
    }
    if (!sse) {
      // A non-streaming answer has no first byte to time; say when the first token came, for the gateway.
      const end = ctx.now();
      if (firstTokenAt !== undefined) {
        void reply.header(TIMING_HEADERS.ttft, String(firstTokenAt - ready));
        void reply.header(TIMING_HEADERS.decode, String(end - firstTokenAt));
      }
      return spec.encodeResult(result);
    }
    sendStart();
    for (const event of blocks.close()) send(event);
    send({ type: "finish", finishReason: result.finishReason, ...stopSequenceOf(result) });
    send({ type: "usage", usage: result.usage });
    sse.write(SSE_DONE);
    sse.end();
    return reply;
  } catch (error) {
    const failure = toCortexError(error);
    status = failure.status;
    if (!sse?.opened) throw failure;
    // Headers are gone: the error becomes the stream's last event.
    send({ type: "error", code: failure.code, message: failure.message });
    sse.write(SSE_DONE);
    sse.end();
    return reply;
  } finally {
    record(ctx, spec, { status, started, ready, firstTokenAt, result });
  }
}

function stopSequenceOf(result: ChatResult): { stopSequence?: string } {
  return result.stopSequence === undefined ? {} : { stopSequence: result.stopSequence };
}

function record(
  ctx: NeuronContext,
  spec: GenerationSpec,
  timing: { status: number; started: number; ready: number; firstTokenAt?: number; result?: ChatResult },
): void {
  const { metrics } = ctx;
  // A client may send any string as the model: only this node's own ids become label values.
  const model = ctx.manager.has(spec.model) ? spec.model : "unknown";
  const end = ctx.now();
  metrics.requests.inc({ model, endpoint: spec.endpoint, status: String(timing.status) });
  metrics.requestDuration.observe({ model, endpoint: spec.endpoint }, (end - timing.started) / 1000);
  const result = timing.result;
  if (!result) return;
  metrics.promptTokens.inc({ model }, result.usage.promptTokens);
  metrics.promptTokensEvaluated.inc({ model }, result.evaluatedPromptTokens);
  metrics.completionTokens.inc({ model }, result.usage.completionTokens);
  if (timing.firstTokenAt !== undefined) {
    metrics.timeToFirstToken.observe({ model }, (timing.firstTokenAt - timing.ready) / 1000);
    const decodeSeconds = (end - timing.firstTokenAt) / 1000;
    if (result.usage.completionTokens > 1 && decodeSeconds > 0) {
      metrics.decodeRate.observe({ model }, (result.usage.completionTokens - 1) / decodeSeconds);
    }
  }
}
