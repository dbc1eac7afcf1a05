import {
  CortexError,
  SseParser,
  createAnthropicStreamEncoder,
  createOpenAIStreamDecoder,
  decodeAnthropicRequest,
  decodeOpenAIChatResponse,
  encodeAnthropicResponse,
  encodeOpenAIChatRequest,
  encodeSseEvent,
  toCortexError,
  type AnthropicEvent,
  type AnthropicStreamEncoder,
  type CanonicalChatRequest,
  type ChatStreamEvent,
} from "@cortex/core";
import type { ServerResponse } from "node:http";
import { once } from "node:events";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { GatewayContext } from "../http/gateway-context.js";
import { abortOnDisconnect } from "./abort-on-disconnect.js";
import { errorFromBody, openUpstream, upstreamChunks, type UpstreamResponse } from "./open-upstream.js";
import { RequestMeter } from "./request-meter.js";
import { startEventStream } from "./start-event-stream.js";

/**
 * `POST /v1/messages`: Anthropic in, canonical in the middle, OpenAI chat to the neuron, and back. The
 * stream goes through an explicit Anthropic state machine, so Claude Code always gets a valid sequence.
 */
export async function proxyAnthropicMessages(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const meter = new RequestMeter(ctx.metrics, ctx.now, "anthropic");
  let status = 200;
  try {
    const decoded = decodeAnthropicRequest(request.body);
    const model = ctx.resolveModel(decoded.value.model);
    meter.model(model.id);
    if (decoded.warnings.length > 0)
      request.log.debug({ reqId: request.id, warnings: decoded.warnings }, "anthropic request adjusted");
    const chat: CanonicalChatRequest = withProfileDefaults(
      { ...decoded.value, model: model.id },
      model.profile,
    );
    const disconnect = abortOnDisconnect(reply.raw);
    const { route, response } = await openUpstream({
      scheduler: ctx.scheduler,
      clientOf: ctx.clientOf,
      modelId: model.id,
      path: "/v1/chat/completions",
      body: encodeOpenAIChatRequest(chat),
      requestId: request.id,
      cancel: disconnect,
      onUpstreamError: ctx.upstreamFailed,
      onRouted: (node, coldLoadMs) => meter.routed(node, coldLoadMs),
    });
    try {
      if (response.statusCode !== 200) {
        status = response.statusCode;
        const failure = await errorFromBody(response, route.node);
        // Keep the overflow text as the neuron wrote it (no node prefix), as the OpenAI route does:
        // `prompt is too long: X tokens > Y maximum` is what Claude Code matches to compact.
        throw failure.code === "context_length_exceeded" && failure.cause instanceof CortexError
          ? failure.cause
          : failure;
      }
      if (!chat.stream) {
        const canonical = decodeOpenAIChatResponse(JSON.parse(await response.text()) as unknown);
        meter.usage(canonical.usage.promptTokens, canonical.usage.completionTokens);
        meter.reportedTimings(response.headers);
        return encodeAnthropicResponse(canonical, { requestedModel: model.requested, newId: ctx.newId })
          .value;
      }
      const res = startEventStream(request, reply, route.node);
      const encoder = createAnthropicStreamEncoder({
        requestedModel: model.requested,
        messageId: ctx.newId("msg_"),
        inputTokensEstimate: 0,
        newId: ctx.newId,
      });
      status = await relayAsAnthropic(response, res, encoder, {
        pingEveryMs: ctx.anthropicPingMs,
        aborted: () => disconnect.aborted,
        onEvent: (event) => {
          if (
            event.type === "text-delta" ||
            event.type === "tool-call-delta" ||
            event.type === "reasoning-delta"
          ) {
            meter.token();
          }
          if (event.type === "usage") meter.usage(event.usage.promptTokens, event.usage.completionTokens);
        },
        onStreamError: () => ctx.upstreamFailed(route.node, "stream"),
      });
      res.end();
      return reply;
    } finally {
      route.release();
    }
  } catch (error) {
    status = toCortexError(error).status;
    throw error;
  } finally {
    meter.finish(status);
  }
}

interface RelayOptions {
  pingEveryMs: number;
  aborted: () => boolean;
  onEvent: (event: ChatStreamEvent) => void;
  onStreamError: () => void;
}

/** OpenAI SSE from the neuron → canonical events → Anthropic events; returns the status to record. */
async function relayAsAnthropic(
  upstream: UpstreamResponse,
  res: ServerResponse,
  encoder: AnthropicStreamEncoder,
  options: RelayOptions,
): Promise<number> {
  const parser = new SseParser();
  const decoder = createOpenAIStreamDecoder();
  const write = async (events: AnthropicEvent[]): Promise<void> => {
    for (const event of events) {
      if (res.destroyed) return;
      if (!res.write(encodeSseEvent(event.event, event.data))) {
        await Promise.race([once(res, "drain"), once(res, "close")]);
      }
    }
  };
  const push = async (events: ChatStreamEvent[]): Promise<void> => {
    for (const event of events) {
      options.onEvent(event);
      await write(encoder.push(event));
    }
  };
  // Keep-alive during long silences (prompt processing of a big context), as the real API does.
  let lastWrite = Date.now();
  const timer = setInterval(
    () => {
      if (Date.now() - lastWrite >= options.pingEveryMs && !encoder.ended) void write(encoder.ping());
    },
    Math.max(50, Math.floor(options.pingEveryMs / 2)),
  );
  try {
    for await (const chunk of upstreamChunks(upstream)) {
      lastWrite = Date.now();
      for (const message of parser.push(chunk)) {
        if (message.data === "[DONE]") await push(decoder.end());
        else await push(decoder.push(parseJson(message.data)));
      }
    }
    for (const message of parser.end()) {
      if (message.data !== "[DONE]") await push(decoder.push(parseJson(message.data)));
    }
    await push(decoder.end());
    await write(encoder.finish());
    return 200;
  } catch (error) {
    if (options.aborted()) return 499;
    options.onStreamError();
    const failure = toCortexError(error);
    await write(encoder.fail(`upstream failed mid-stream: ${failure.message}`, "api_error"));
    return 502;
  } finally {
    clearInterval(timer);
  }
}

function parseJson(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    throw new CortexError("upstream_error", `neuron sent a chunk that is not JSON: ${data.slice(0, 80)}`);
  }
}

function withProfileDefaults(
  chat: CanonicalChatRequest,
  profile: GatewayContextProfile | undefined,
): CanonicalChatRequest {
  if (!profile) return chat;
  const sampling = profile.sampling;
  return {
    ...chat,
    ...(chat.temperature === undefined && sampling.temperature !== undefined
      ? { temperature: sampling.temperature }
      : {}),
    ...(chat.topP === undefined && sampling.topP !== undefined ? { topP: sampling.topP } : {}),
    ...(chat.topK === undefined && sampling.topK !== undefined ? { topK: sampling.topK } : {}),
  };
}

type GatewayContextProfile = NonNullable<ReturnType<GatewayContext["resolveModel"]>["profile"]>;
