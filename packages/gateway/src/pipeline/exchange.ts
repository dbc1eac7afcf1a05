import type { CortexError, NewId, RenderedError } from "@cortex/core";
import type { ResolvedModel } from "../runtime/gateway-runtime.js";

/**
 * The contract between the request pipeline and a client dialect. The pipeline owns everything every
 * dialect shares (model resolution, routing and leases, failover before the first byte, the relay loop,
 * metering, release, mid-stream failures); a dialect adapter only translates. Adding a dialect is one
 * adapter plus one route (see `dialects/`).
 */

/** A wire dialect: its name in the metrics, and its error envelope. */
export interface Dialect {
  readonly name: DialectName;
  renderError(error: CortexError, requestId: string): RenderedError<unknown>;
}

export type DialectName = "openai" | "anthropic" | "responses";

export interface DialectAdapter {
  readonly dialect: Dialect;
  /** The client's body → one exchange with the fleet; throws a CortexError (400) for bad input. */
  decode(body: unknown): Exchange;
}

/** One decoded client request: what it wants from the fleet and how the answer goes back. */
export interface Exchange {
  /** The model as the client named it (an alias, a claude-* id…); the pipeline resolves it. */
  readonly model: string;
  readonly stream: boolean;
  /** What the decoder dropped or adjusted, one `field: what happened` line each (logged, and listed in a header). */
  readonly warnings: readonly string[];
  /** The neuron request for the resolved model (profile defaults applied here). */
  upstream(model: ResolvedModel): UpstreamCall;
  /** A non-streaming exchange: the neuron's whole 200 body → the client's answer. */
  respond(body: string, context: AnswerContext): Answer;
  /** A streaming exchange: what turns the neuron's SSE messages into the client's frames. */
  relay?(context: AnswerContext): StreamRelay;
}

/** A POST to a neuron; the pipeline adds the request id and routes it. */
export interface UpstreamCall {
  readonly path: string;
  /** JSON text. */
  readonly body: string;
}

/** What an adapter may need to shape its answer. */
export interface AnswerContext {
  readonly requestId: string;
  /** The model string the client sent, echoed back where the dialect expects it. */
  readonly requestedModel: string;
  /** The node serving the request. */
  readonly node: string;
  readonly newId: NewId;
  /** Metering taps: the adapter says when content arrives and what the usage was. */
  readonly meter: MeterTap;
}

export interface MeterTap {
  /** Generated content (text, reasoning, tool-call arguments) reached the client. */
  token(): void;
  usage(promptTokens: number, completionTokens: number): void;
}

export interface Answer {
  /** JSON text relayed as is, or a value to serialise. */
  readonly body: string | object;
  /** Fields the encoder dropped or adjusted (same form as `Exchange.warnings`). */
  readonly warnings?: readonly string[];
}

/**
 * One streaming answer, message by message. Each method returns the SSE frames to send (already
 * framed, possibly none); the pipeline writes them with backpressure and owns the loop.
 */
export interface StreamRelay {
  /** One upstream SSE `data:` payload, `[DONE]` included. */
  message(data: string): Frames;
  /** The upstream ended (EOF): close whatever is still open. */
  end(): Frames;
  /** The upstream failed after the first byte: the dialect's error event, ending the stream. */
  fail(error: CortexError): Frames;
  /** Sent after `keepAliveMs` of silence (e.g. Anthropic's `ping` during a long prompt). */
  keepAlive?(): Frames;
  readonly keepAliveMs?: number;
  /** Read when the stream is over: what the encoder dropped or repaired, for the debug log. */
  readonly warnings?: readonly string[];
}

export type Frames = string | readonly string[] | undefined;
