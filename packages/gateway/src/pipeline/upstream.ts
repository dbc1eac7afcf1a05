import { isCortexError, toCortexError, type CortexError } from "@cortex/core";
import type { Cancellation } from "../cancellation.js";
import type { NeuronClient, NeuronResponse } from "../cluster/neuron-client.js";
import type { Route, RouteContext } from "../scheduler/scheduler.js";
import type { UpstreamCall } from "./exchange.js";
import { requestPrefix, type RequestPriority } from "./request-routing.js";

/** `body`: a 200 whose body is not the protocol (not JSON); `stream`: a stream broken after the 200. */
export type UpstreamFailure = "connect" | "timeout" | "status" | "body" | "stream";

/** What opening an upstream needs from the gateway. */
export interface UpstreamServices {
  route(modelId: string, context: RouteContext): Promise<Route>;
  clientOf(node: string): NeuronClient | undefined;
  /** Counts a failure talking to a node (and re-polls a node that refused a connection). */
  upstreamFailed(node: string, kind: UpstreamFailure): void;
}

export interface OpenedUpstream {
  readonly node: string;
  /** Why routing chose that node (`x-cortex-route`). */
  readonly reason: Route["reason"];
  /** Always a 200: every other status became a CortexError (or a failover) here. */
  readonly response: NeuronResponse;
  release(): void;
}

/**
 * Routes a request and opens the neuron's response, failing over to another node that can serve the model
 * when a node fails before its first byte: a connection refused or reset, a timeout, or an error the
 * neuron says is retryable (5xx, or a hop error such as a refused token). Nothing has reached the client
 * yet, so a retry is safe; once the 200 is back the caller owns the stream and never retries.
 */
export async function openUpstream(
  services: UpstreamServices,
  request: {
    modelId: string;
    call: UpstreamCall;
    requestId: string;
    cancel: Cancellation;
    /** Its priority class and who it is from (queues serve classes in order, fair between keys). */
    priority?: RequestPriority;
    /** Once routing is done (placement and cold load included). */
    onRouted(route: Route): void;
  },
): Promise<OpenedUpstream> {
  const exclude = new Set<string>();
  const headers = { "content-type": "application/json", "x-request-id": request.requestId };
  let lastError: CortexError | undefined;
  // Computed once, and only when routing asks for it (the model is on several nodes).
  let prefix: { value: ReturnType<typeof requestPrefix> } | undefined;
  let mayJump = true;
  for (;;) {
    let route: Route;
    try {
      route = await services.route(request.modelId, {
        requestId: request.requestId,
        cancel: request.cancel,
        exclude,
        prefix: () => (prefix ??= { value: requestPrefix(request.call) }).value,
        ...(mayJump ? {} : { mayJump }),
        ...(request.priority ? { priority: request.priority.priority, flow: request.priority.flow } : {}),
      });
    } catch (error) {
      // After a failover, "not served by any available node" hides the real failure: report that one.
      if (lastError && isCortexError(error) && error.code === "model_not_found") throw lastError;
      throw error;
    }
    request.onRouted(route);
    const client = services.clientOf(route.node);
    let attempt: Attempt | undefined;
    try {
      attempt = client && (await send(client, request.call, headers, request.cancel));
    } catch (error) {
      route.release();
      throw error;
    }
    if (attempt?.response)
      return {
        node: route.node,
        reason: route.reason,
        response: attempt.response,
        release: route.release,
      };
    route.release();
    if (attempt?.failure) {
      const { failure, kind } = attempt;
      // A node whose sequences are busy refused to queue a request that jumped there (it was short on
      // it): nothing failed, it waits in the gateway's queue as it would have without the jump.
      if (route.jumped && mayJump && failure.code === "queue_full") {
        mayJump = false;
        continue;
      }
      // Errors another node would repeat (a bad request, a model broken everywhere) are not retried.
      if (!failure.retryable) throw failure;
      services.upstreamFailed(route.node, kind);
      lastError = failure;
    }
    exclude.add(route.node);
  }
}

type Attempt =
  | { response: NeuronResponse; failure?: undefined }
  | { response?: undefined; failure: CortexError; kind: UpstreamFailure };

/** One try on one node; only the client's own abort is thrown. */
async function send(
  client: NeuronClient,
  call: UpstreamCall,
  headers: Record<string, string>,
  cancel: Cancellation,
): Promise<Attempt> {
  try {
    const response = await client.request({
      method: "POST",
      path: call.path,
      body: call.body,
      headers,
      signal: cancel,
    });
    if (response.statusCode === 200) return { response };
    return { failure: await client.readError(response), kind: "status" };
  } catch (error) {
    if (cancel.aborted) throw cancel.reason;
    const failure = toCortexError(error);
    return { failure, kind: failure.code === "upstream_timeout" ? "timeout" : "connect" };
  }
}

/**
 * The body's chunks, its transport errors (a reset, an idle timeout) turned into CortexErrors naming the
 * node; errors of whoever consumes the chunks stay theirs.
 */
export async function* upstreamChunks(response: NeuronResponse): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) yield chunk;
  } catch (error) {
    throw response.mapError(error);
  }
}
