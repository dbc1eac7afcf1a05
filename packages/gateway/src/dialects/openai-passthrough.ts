import { CortexError, SSE_DONE, asRecord, checkOpenAIStop, openAIErrorObject } from "@cortex/core";
import type { AnswerContext, DialectAdapter, Frames, MeterTap, StreamRelay } from "../pipeline/exchange.js";
import { requireModel } from "../pipeline/pipeline.js";
import { OPENAI } from "./dialect.js";
import { openAISamplingDefaults } from "./sampling-defaults.js";
import { endedWithoutDone, parseUpstreamChunk, upstreamUsage } from "./upstream-json.js";

export type OpenAIPath = "/v1/chat/completions" | "/v1/completions" | "/v1/embeddings";

/**
 * OpenAI routes, passed through: the neuron already speaks OpenAI, so the body goes out as the client
 * sent it (model id resolved, models.toml sampling defaults filled in, usage asked for) and the answer
 * comes back untranslated: non-streaming bodies verbatim, streams message by message without re-encoding.
 */
export function openAIPassthrough(path: OpenAIPath): DialectAdapter {
  const generates = path !== "/v1/embeddings";
  return {
    dialect: OPENAI,
    decode(body) {
      const record = requireObject(body);
      const model = requireModel(record.model);
      // The body is not decoded here: OpenAI's stop limit is checked before it reaches a node.
      checkOpenAIStop(record.stop);
      const stream = generates && record.stream === true;
      const streamOptions = asRecord(record.stream_options);
      return {
        model,
        stream,
        warnings: [],
        upstream: (resolved) => ({
          path,
          body: JSON.stringify({
            ...record,
            ...(generates ? openAISamplingDefaults(record, resolved.profile) : {}),
            model: resolved.id,
            // The gateway always wants the usage chunk (metrics); the relay drops it again if unasked.
            ...(stream ? { stream_options: { ...streamOptions, include_usage: true } } : {}),
          }),
        }),
        respond: (text, context) => {
          // Relayed verbatim: a body that does not end with its usage is parsed whole, and refused when it
          // is not a JSON object (it goes out as application/json).
          recordUsage(upstreamUsage(text, context.node), context.meter);
          return { body: text };
        },
        relay: (context) => passthroughRelay(streamOptions?.include_usage === true, context),
      };
    },
  };
}

/** The upstream's SSE re-framed verbatim: no parse-and-stringify round trip on the hot path. */
function passthroughRelay(forwardUsageChunk: boolean, context: AnswerContext): StreamRelay {
  let done = false;
  return {
    message: (data) => {
      if (done) return undefined;
      if (data === "[DONE]") {
        done = true;
        return SSE_DONE;
      }
      return inspectChunk(data, forwardUsageChunk, context.meter) ? frameData(data) : undefined;
    },
    end: () => {
      if (!done) throw endedWithoutDone();
      return undefined;
    },
    fail: (error): Frames => {
      const failure = new CortexError(
        "upstream_error",
        `${context.node} failed mid-stream: ${error.message}`,
      );
      return `data: ${JSON.stringify({ error: openAIErrorObject(failure) })}\n\ndata: [DONE]\n\n`;
    },
  };
}

interface ChunkShape {
  choices?: { delta?: { content?: unknown; reasoning_content?: unknown; tool_calls?: unknown } }[] | null;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

/** Meters one chunk (a chunk that is not JSON breaks the stream); false for an unasked usage-only chunk. */
function inspectChunk(data: string, forwardUsageChunk: boolean, meter: MeterTap): boolean {
  const chunk = (parseUpstreamChunk(data) ?? {}) as ChunkShape;
  const delta = chunk.choices?.[0]?.delta;
  if (
    delta &&
    (nonEmpty(delta.content) || nonEmpty(delta.reasoning_content) || delta.tool_calls !== undefined)
  ) {
    meter.token();
  }
  if (chunk.usage) {
    meter.usage(chunk.usage.prompt_tokens ?? 0, chunk.usage.completion_tokens ?? 0);
    const usageOnly = !chunk.choices || chunk.choices.length === 0;
    if (usageOnly && !forwardUsageChunk) return false;
  }
  return true;
}

function frameData(data: string): string {
  return data.includes("\n")
    ? `${data
        .split("\n")
        .map((line) => `data: ${line}`)
        .join("\n")}\n\n`
    : `data: ${data}\n\n`;
}

function recordUsage(value: unknown, meter: MeterTap): void {
  const usage = asRecord(value);
  const prompt = usage?.prompt_tokens;
  const completion = usage?.completion_tokens;
  if (typeof prompt === "number") meter.usage(prompt, typeof completion === "number" ? completion : 0);
}

function requireObject(body: unknown): Record<string, unknown> {
  const record = asRecord(body);
  if (!record) throw new CortexError("invalid_request", "request body must be a JSON object");
  return record;
}

function nonEmpty(value: unknown): boolean {
  return typeof value === "string" && value !== "";
}
