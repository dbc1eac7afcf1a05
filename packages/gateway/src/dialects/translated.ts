import {
  TokenizeResponseSchema,
  createOpenAIStreamDecoder,
  decodeOpenAIChatResponse,
  encodeOpenAIChatRequest,
  type CanonicalChatRequest,
  type CanonicalChatResponse,
  type ChatStreamEvent,
  type CortexError,
  type Translation,
} from "@cortex/core";
import { parseNeuronResponse } from "../cluster/neuron-errors.js";
import type {
  AnswerContext,
  Dialect,
  DialectAdapter,
  Exchange,
  Frames,
  MeterTap,
  StreamRelay,
} from "../pipeline/exchange.js";
import { samplingDefaults } from "./sampling-defaults.js";
import { endedWithoutDone, parseUpstreamBody, parseUpstreamChunk } from "./upstream-json.js";

/**
 * Dialects translated through the canonical form (Anthropic, Responses): the client's request is decoded to
 * canonical, sent to the neuron as OpenAI chat, and the answer decoded back to canonical and encoded in
 * the client's dialect. A dialect supplies only its codec; this file is everything the translated
 * dialects share.
 */
export interface ChatCodec extends ChatEncoders {
  readonly dialect: Dialect;
  decodeRequest(body: unknown): Translation<CanonicalChatRequest>;
}

/** How one decoded request's answer goes back to the client. */
export interface ChatEncoders {
  encodeResponse(response: CanonicalChatResponse, context: AnswerContext): Translation<object>;
  createStreamEncoder(context: AnswerContext): CanonicalStreamEncoder;
}

/** Canonical stream events → the dialect's SSE frames, as a state machine that only emits valid sequences. */
export interface CanonicalStreamEncoder {
  push(event: ChatStreamEvent): Frames;
  /** The upstream stream is over: close whatever is still open. */
  finish(): Frames;
  /** A failure after the first byte: the dialect's error event. */
  fail(error: CortexError): Frames;
  keepAlive?(): Frames;
  readonly keepAliveMs?: number;
  readonly warnings: readonly string[];
}

/** A token count (Anthropic `count_tokens`): the prompt exactly as the model would see it. */
export interface CountCodec {
  readonly dialect: Dialect;
  decodeRequest(body: unknown): Translation<CanonicalChatRequest>;
  encodeCount(count: number): object;
}

/** The pipeline adapter of a translated chat dialect. */
export function translatedChat(codec: ChatCodec): DialectAdapter {
  return canonicalAdapter(codec, (chat) => chatExchange(chat, codec));
}

/**
 * One translated chat with the fleet: the canonical request goes to the neuron as OpenAI chat, its
 * answer comes back through `encoders`. For dialects whose encoders depend on the decoded request
 * (Responses: its tools and ids), built per request.
 */
export function chatExchange(
  chat: CanonicalChatRequest,
  encoders: ChatEncoders,
): Omit<Exchange, "model" | "warnings"> {
  return {
    stream: chat.stream,
    upstream: (model) => ({
      path: "/v1/chat/completions",
      body: JSON.stringify(
        encodeOpenAIChatRequest({
          ...chat,
          ...samplingDefaults(model.profile, (field) => chat[field] !== undefined),
          model: model.id,
        }),
      ),
    }),
    respond(text, context) {
      const canonical = decodeOpenAIChatResponse(parseUpstreamBody(text, context.node));
      context.meter.usage(canonical.usage.promptTokens, canonical.usage.completionTokens);
      const encoded = encoders.encodeResponse(canonical, context);
      return { body: encoded.value, warnings: encoded.warnings };
    },
    relay: (context) => canonicalRelay(encoders.createStreamEncoder(context), context.meter),
  };
}

/**
 * The pipeline adapter of a token count: the neuron's `/tokenize` renders the request with the serving
 * model's own chat template and tokenizer (system, tools and messages), so the count is exact. The
 * tokenizer lives in the weights file, so a cold model is loaded first, like for a generation.
 */
export function tokenCount(codec: CountCodec): DialectAdapter {
  return canonicalAdapter(codec, (chat) => ({
    stream: false,
    upstream: (model) => {
      const { messages, tools } = encodeOpenAIChatRequest({ ...chat, model: model.id, stream: false });
      // With tool_choice none the neuron renders no tools into the prompt (it generates without them).
      const rendered = chat.toolChoice.type === "none" ? undefined : tools;
      return {
        path: "/tokenize",
        body: JSON.stringify({ model: model.id, messages, ...(rendered ? { tools: rendered } : {}) }),
      };
    },
    respond(text, context) {
      const { count } = parseNeuronResponse(context.node, "POST /tokenize", TokenizeResponseSchema, text);
      return { body: codec.encodeCount(count) };
    },
  }));
}

/** An adapter whose decoder yields a canonical request; `exchange` says what to do with it. */
function canonicalAdapter(
  codec: { readonly dialect: Dialect; decodeRequest(body: unknown): Translation<CanonicalChatRequest> },
  exchange: (chat: CanonicalChatRequest) => Omit<Exchange, "model" | "warnings">,
): DialectAdapter {
  return {
    dialect: codec.dialect,
    decode(body) {
      const { value: chat, warnings } = codec.decodeRequest(body);
      return { model: chat.model, warnings, ...exchange(chat) };
    },
  };
}

/** OpenAI SSE from the neuron → canonical events (metered) → the dialect's encoder. */
function canonicalRelay(encoder: CanonicalStreamEncoder, meter: MeterTap): StreamRelay {
  const decoder = createOpenAIStreamDecoder();
  const push = (events: readonly ChatStreamEvent[]): string[] => {
    const frames: string[] = [];
    for (const event of events) {
      if (event.type === "text-delta" || event.type === "reasoning-delta" || event.type === "tool-call-delta")
        meter.token();
      else if (event.type === "usage") meter.usage(event.usage.promptTokens, event.usage.completionTokens);
      append(frames, encoder.push(event));
    }
    return frames;
  };
  let done = false;
  return {
    message: (data) => {
      if (done) return undefined;
      if (data !== "[DONE]") return push(decoder.push(parseUpstreamChunk(data)));
      done = true;
      return push(decoder.end());
    },
    end: () => {
      // Without [DONE] the answer may be cut anywhere: the dialect's error event, not a final answer.
      if (!done) throw endedWithoutDone();
      const frames = push(decoder.end());
      append(frames, encoder.finish());
      return frames;
    },
    fail: (error) => encoder.fail(error),
    ...(encoder.keepAlive
      ? { keepAlive: () => encoder.keepAlive?.(), keepAliveMs: encoder.keepAliveMs ?? 10_000 }
      : {}),
    get warnings() {
      return encoder.warnings;
    },
  };
}

function append(frames: string[], more: Frames): void {
  if (more === undefined || more === "") return;
  if (typeof more === "string") frames.push(more);
  else frames.push(...more);
}
