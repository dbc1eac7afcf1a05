import type { Readable } from "node:stream";
import { CortexError, decodeOpenAIError, isCortexError, toCortexError } from "@cortex/core";
import type { Cancellation } from "../cancellation.js";
import type { Route, Scheduler } from "../routing/scheduler.js";

export interface UpstreamResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Streaming; its errors are transport errors, for `mapError`. */
  readonly body: Readable;
  /** The whole body, failures mapped. */
  text(): Promise<string>;
  mapError(error: unknown): CortexError;
}

export interface UpstreamClient {
  request(options: {
    method: "POST";
    path: string;
    body: string;
    headers: Record<string, string>;
    signal: Cancellation;
  }): Promise<UpstreamResponse>;
}

export interface OpenUpstreamOptions {
  scheduler: Scheduler;
  clientOf: (node: string) => UpstreamClient | undefined;
  modelId: string;
  path: string;
  body: unknown;
  requestId: string;
  cancel: Cancellation;
  onUpstreamError: (node: string, kind: "connect" | "timeout" | "status") => void;
  /** Called once routing is done (placement and cold load included). */
  onRouted?: (node: string, coldLoadMs: number) => void;
}

export interface OpenedUpstream {
  route: Route;
  response: UpstreamResponse;
}

/**
 * Routes a request and opens the upstream response, failing over to another node that can serve the
 * model when a node fails before its first byte. Nothing has reached the client yet, so a retry is safe;
 * once a 200 arrives the caller owns the stream and must never retry.
 */
export async function openUpstream(options: OpenUpstreamOptions): Promise<OpenedUpstream> {
  const exclude = new Set<string>();
  const payload = JSON.stringify(options.body);
  let lastError: CortexError | undefined;
  for (;;) {
    let route: Route;
    try {
      route = await options.scheduler.route(options.modelId, {
        requestId: options.requestId,
        cancel: options.cancel,
        exclude,
      });
    } catch (error) {
      // After a failover, "not served by any available node" hides the real failure: report that one.
      if (lastError && isCortexError(error) && error.code === "model_not_found") throw lastError;
      throw error;
    }
    options.onRouted?.(route.node, route.coldLoadMs);
    const client = options.clientOf(route.node);
    if (!client) {
      route.release();
      exclude.add(route.node);
      continue;
    }
    try {
      const response = await client.request({
        method: "POST",
        path: options.path,
        body: payload,
        headers: { "content-type": "application/json", "x-request-id": options.requestId },
        signal: options.cancel,
      });
      if (response.statusCode < 500) return { route, response };
      // A 5xx before any byte went to the client: try another node.
      lastError = await errorFromBody(response, route.node);
      options.onUpstreamError(route.node, "status");
    } catch (error) {
      if (options.cancel.aborted) {
        route.release();
        throw options.cancel.reason;
      }
      lastError = toCortexError(error);
      options.onUpstreamError(route.node, lastError.code === "upstream_timeout" ? "timeout" : "connect");
    }
    route.release();
    exclude.add(route.node);
    // Errors that another node would repeat (bad request, model broken everywhere) are not retried.
    if (lastError && !lastError.retryable) throw lastError;
  }
}

/**
 * The body's chunks, its transport errors (a reset, an idle timeout) turned into CortexErrors naming the
 * node; errors of whoever consumes the chunks stay theirs (a bug in a relay is not the node's fault).
 */
export async function* upstreamChunks(response: UpstreamResponse): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) yield chunk;
  } catch (error) {
    throw response.mapError(error);
  }
}

/** Reads a (small) upstream error body into a CortexError that keeps the neuron's code. */
export async function errorFromBody(response: UpstreamResponse, node: string): Promise<CortexError> {
  const text = await response.text().catch(() => "");
  const retryAfter = Number(response.headers["retry-after"]);
  const decoded = decodeOpenAIError(parseJsonOrText(text), {
    status: response.statusCode,
    ...(Number.isFinite(retryAfter) ? { retryAfter } : {}),
  });
  return new CortexError(decoded.code, `${node}: ${decoded.message}`, {
    cause: decoded,
    ...(decoded.retryAfter === undefined ? {} : { retryAfter: decoded.retryAfter }),
    ...(decoded.param === undefined ? {} : { param: decoded.param }),
  });
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
