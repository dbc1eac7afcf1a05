import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { SseParser, toCortexError, type CortexError } from "@cortex/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { NeuronResponse } from "../cluster/neuron-client.js";
import type { Frames, StreamRelay } from "./exchange.js";
import { upstreamChunks } from "./upstream.js";

/**
 * Takes the response over from Fastify and sends the event-stream headers every dialect uses; writes
 * frames with backpressure (the next upstream chunk is read only once the client has taken the last).
 */
export class ClientStream {
  readonly #res: ServerResponse;

  constructor(request: FastifyRequest, reply: FastifyReply, headers: Record<string, string>) {
    reply.hijack();
    this.#res = reply.raw;
    this.#res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      // OpenAI clients read x-request-id, Anthropic clients request-id.
      "x-request-id": request.id,
      "request-id": request.id,
      ...headers,
    });
  }

  /** Resolves at once unless the socket is full, then on drain (or close). */
  async write(frames: Frames): Promise<void> {
    if (frames === undefined || frames === "") return;
    if (typeof frames === "string") return this.#write(frames);
    for (const frame of frames) await this.#write(frame);
  }

  end(): void {
    this.#res.end();
  }

  async #write(frame: string): Promise<void> {
    const res = this.#res;
    if (res.destroyed) return;
    if (!res.write(frame)) await Promise.race([once(res, "drain"), once(res, "close")]);
  }
}

export type RelayOutcome =
  | { readonly status: 200 }
  | { readonly status: 499 }
  /** The upstream (or a relay bug) broke the stream; the client got the dialect's error event. */
  | { readonly status: number; readonly failure: CortexError; readonly upstreamFault: boolean };

/**
 * The one relay loop: upstream bytes → SSE messages → the dialect's frames → the client, keep-alives
 * during silences, and a failure after the first byte turned into the dialect's error event (never a
 * hang). Only the upstream's own errors (transport, garbage it sent) are blamed on the node.
 */
export async function relayStream(
  upstream: NeuronResponse,
  client: ClientStream,
  relay: StreamRelay,
  aborted: () => boolean,
): Promise<RelayOutcome> {
  const parser = new SseParser();
  let lastWrite = Date.now();
  const keepAliveMs = relay.keepAlive ? relay.keepAliveMs : undefined;
  const timer =
    keepAliveMs === undefined
      ? undefined
      : setInterval(
          () => {
            if (Date.now() - lastWrite >= keepAliveMs) void client.write(relay.keepAlive?.());
          },
          Math.max(50, Math.floor(keepAliveMs / 2)),
        );
  try {
    for await (const chunk of upstreamChunks(upstream)) {
      lastWrite = Date.now();
      for (const message of parser.push(chunk)) await client.write(relay.message(message.data));
    }
    for (const message of parser.end()) await client.write(relay.message(message.data));
    await client.write(relay.end());
    return { status: 200 };
  } catch (error) {
    if (aborted()) return { status: 499 };
    const failure = toCortexError(error);
    await client.write(relay.fail(failure));
    const upstreamFault = failure.code !== "internal_error";
    return { status: upstreamFault ? 502 : 500, failure, upstreamFault };
  } finally {
    if (timer) clearInterval(timer);
  }
}
