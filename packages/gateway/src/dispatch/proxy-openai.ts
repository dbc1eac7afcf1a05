import { CortexError, renderOpenAIError, toCortexError } from "@cortex/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { GatewayContext } from "../http/gateway-context.js";
import { abortOnDisconnect } from "./abort-on-disconnect.js";
import { applySamplingDefaults } from "./apply-sampling-defaults.js";
import { openUpstream, upstreamChunks } from "./open-upstream.js";
import { relayOpenAIStream } from "./relay-openai-stream.js";
import { RequestMeter } from "./request-meter.js";
import { startEventStream } from "./start-event-stream.js";

export type OpenAIPath = "/v1/chat/completions" | "/v1/completions" | "/v1/embeddings";

/**
 * OpenAI routes: resolve the model, route it, and pass the neuron's answer through. Streams are relayed
 * message by message without buffering; the only rewrite is the model id and asking for usage.
 */
export async function proxyOpenAI(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  path: OpenAIPath,
): Promise<unknown> {
  const meter = new RequestMeter(ctx.metrics, ctx.now, "openai");
  let status = 200;
  try {
    const body = requireObject(request.body);
    if (typeof body.model !== "string" || body.model === "") {
      throw new CortexError("invalid_request", "model: required (a model id from GET /v1/models)", {
        param: "model",
      });
    }
    const model = ctx.resolveModel(body.model);
    meter.model(model.id);
    const stream = body.stream === true && path !== "/v1/embeddings";
    const streamOptions = asRecord(body.stream_options);
    const upstreamBody = {
      ...applySamplingDefaults(body, model.profile, path),
      model: model.id,
      ...(stream ? { stream_options: { ...streamOptions, include_usage: true } } : {}),
    };
    const disconnect = abortOnDisconnect(reply.raw);
    const { route, response } = await openUpstream({
      scheduler: ctx.scheduler,
      clientOf: ctx.clientOf,
      modelId: model.id,
      path,
      body: upstreamBody,
      requestId: request.id,
      cancel: disconnect,
      onUpstreamError: ctx.upstreamFailed,
      onRouted: (node, coldLoadMs) => meter.routed(node, coldLoadMs),
    });
    try {
      status = response.statusCode;
      if (status !== 200 || !stream) {
        const text = await response.text();
        if (status === 200) {
          recordUsage(text, meter);
          meter.reportedTimings(response.headers);
        }
        const retryAfter = response.headers["retry-after"];
        return reply
          .status(status)
          .header("content-type", "application/json; charset=utf-8")
          .headers(typeof retryAfter === "string" ? { "retry-after": retryAfter } : {})
          .send(text);
      }
      const res = startEventStream(request, reply, route.node);
      try {
        await relayOpenAIStream(upstreamChunks(response), res, {
          forwardUsageChunk: streamOptions?.include_usage === true,
          tap: {
            onToken: () => meter.token(),
            onUsage: (prompt, completion) => meter.usage(prompt, completion),
          },
        });
      } catch (error) {
        if (disconnect.aborted) {
          status = 499;
        } else {
          // Headers are gone: end the stream with an error event in the client's dialect, never a hang.
          status = 502;
          ctx.upstreamFailed(route.node, "stream");
          const failure = new CortexError(
            "upstream_error",
            `${route.node} failed mid-stream: ${toCortexError(error).message}`,
          );
          res.write(
            `data: ${JSON.stringify(renderOpenAIError(failure, request.id).body)}\n\ndata: [DONE]\n\n`,
          );
        }
      }
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

/** Reads the usage counters without parsing the whole answer (this runs for every request). */
function recordUsage(text: string, meter: RequestMeter): void {
  const tail = text.slice(text.lastIndexOf('"usage"'));
  const prompt = /"prompt_tokens"\s*:\s*(\d+)/.exec(tail)?.[1];
  const completion = /"completion_tokens"\s*:\s*(\d+)/.exec(tail)?.[1];
  if (prompt !== undefined) meter.usage(Number(prompt), Number(completion ?? 0));
}

function requireObject(body: unknown): Record<string, unknown> {
  const record = asRecord(body);
  if (!record) throw new CortexError("invalid_request", "request body must be a JSON object");
  return record;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
