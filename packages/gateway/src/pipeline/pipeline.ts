import { CortexError, isCortexError, toCortexError } from "@cortex/core";
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from "fastify";
import { abortOnDisconnect } from "../cancellation.js";
import { UNKNOWN_MODEL, type GatewayMetrics } from "../metrics/gateway-metrics.js";
import type { ResolvedModel } from "../runtime/gateway-runtime.js";
import { ClientStream, relayStream } from "./client-stream.js";
import type { Answer, AnswerContext, DialectAdapter, DialectName, Exchange } from "./exchange.js";
import { RequestMeter } from "./request-meter.js";
import { PRIORITY_HEADER, requestPriority } from "./request-routing.js";
import { openUpstream, type UpstreamServices } from "./upstream.js";

/** What the pipeline needs from the gateway, whichever dialect it runs. */
export interface PipelineServices extends UpstreamServices {
  /** Aliases, wildcard aliases and the default model → a model id. */
  resolveModel(requested: string): ResolvedModel;
  readonly metrics: GatewayMetrics;
  now(): number;
  newId(prefix: string): string;
  /** True when cortex.toml lists no api_keys: then any request may set its priority class. */
  keyless(): boolean;
}

/** Why the request went to its node (`stick`, `moved`, `no_prefix`, `load`, `single`: RouteReason). */
export const ROUTE_HEADER = "x-cortex-route";

/** Requests the pipeline took over: its meter counts them (see `countOutsidePipeline`). */
const metered = new WeakSet<FastifyRequest>();

/**
 * Counts a request to a pipeline route that never reached the pipeline (refused key, a body that is not
 * JSON or too large, a client gone before its body arrived) once its response is over, under model
 * `unknown`: every request a client sent shows in `cortex_gateway_requests_total`. An onRequest hook.
 */
export function countOutsidePipeline(
  metrics: GatewayMetrics,
  dialect: DialectName,
): (request: FastifyRequest, reply: FastifyReply, done: () => void) => void {
  return (request, reply, done) => {
    reply.raw.once("close", () => {
      if (metered.has(request)) return;
      // Closed before the response was complete: the client left (nginx's 499, as the meter says).
      const status = reply.raw.writableFinished ? reply.statusCode : 499;
      metrics.requests.series(UNKNOWN_MODEL, "none", dialect, String(status)).inc();
    });
    done();
  };
}

/** Lists dropped or adjusted request fields; see `warningHeader`. */
export const WARNINGS_HEADER = "x-cortex-warnings";

/**
 * The one request pipeline: decode (the adapter) → resolve the model → route, lease and open the
 * upstream with failover → relay or answer (the adapter) → meter → release. Every route that calls a
 * neuron for a client goes through here, whatever its dialect.
 */
export async function runExchange(
  services: PipelineServices,
  adapter: DialectAdapter,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  metered.add(request);
  const meter = new RequestMeter(services.metrics, services.now, adapter.dialect.name);
  let status = 200;
  try {
    const exchange = adapter.decode(request.body);
    const model = services.resolveModel(exchange.model);
    meter.model(model.id);
    const priority = requestPriority(request.headers[PRIORITY_HEADER], request.apiClient, services.keyless());
    meter.priority(priority.priority);
    const warnings = warningHeader(
      priority.warning ? [...exchange.warnings, priority.warning] : exchange.warnings,
      request,
      "request adjusted",
    );
    const cancel = abortOnDisconnect(reply.raw);
    const upstream = await openUpstream(services, {
      modelId: model.id,
      call: exchange.upstream(model),
      requestId: request.id,
      cancel,
      priority,
      onRouted: (route) => meter.routed(route.node, route.coldLoadMs, route.reason),
    });
    try {
      const context: AnswerContext = {
        requestId: request.id,
        requestedModel: model.requested,
        node: upstream.node,
        newId: services.newId,
        meter,
      };
      if (!exchange.stream || !exchange.relay) {
        const answer = respond(exchange, await upstream.response.text(), context, services);
        meter.reportedTimings(upstream.response.headers);
        const adjusted = warningHeader(answer.warnings ?? [], request, "response adjusted");
        const headers = mergeWarnings(warnings, adjusted);
        void reply.header("x-cortex-node", upstream.node);
        void reply.header(ROUTE_HEADER, upstream.reason);
        if (headers) void reply.header(WARNINGS_HEADER, headers);
        if (typeof answer.body === "string")
          void reply.header("content-type", "application/json; charset=utf-8");
        return answer.body;
      }
      const client = new ClientStream(request, reply, {
        "x-cortex-node": upstream.node,
        [ROUTE_HEADER]: upstream.reason,
        ...(warnings ? { [WARNINGS_HEADER]: warnings } : {}),
      });
      const relay = exchange.relay(context);
      const outcome = await relayStream(upstream.response, client, relay, () => cancel.aborted);
      status = outcome.status;
      if ("failure" in outcome) {
        if (outcome.upstreamFault) services.upstreamFailed(upstream.node, "stream");
        else request.log.error({ reqId: request.id, err: outcome.failure }, "relay failed");
      }
      if (relay.warnings && relay.warnings.length > 0)
        request.log.debug({ reqId: request.id, warnings: relay.warnings }, "response adjusted");
      client.end();
      return reply;
    } finally {
      upstream.release();
    }
  } catch (error) {
    status = toCortexError(error).status;
    throw error;
  } finally {
    meter.finish(status);
  }
}

/** The adapter's answer; a body the adapter cannot read (not JSON, not a completion) is the node's fault. */
function respond(
  exchange: Exchange,
  body: string,
  context: AnswerContext,
  services: PipelineServices,
): Answer {
  try {
    return exchange.respond(body, context);
  } catch (error) {
    if (isCortexError(error) && error.code === "upstream_error")
      services.upstreamFailed(context.node, "body");
    throw error;
  }
}

/**
 * The fields a translation dropped or adjusted, for a response header: each warning's `field` (the text
 * before its first ": "), deduplicated, printable ASCII, at most 1 KiB. The full lines go to the debug log.
 */
function warningHeader(
  warnings: readonly string[],
  request: FastifyRequest,
  what: string,
): string | undefined {
  if (warnings.length === 0) return undefined;
  (request.log as FastifyBaseLogger).debug({ reqId: request.id, warnings }, what);
  const fields = [...new Set(warnings.map((warning) => fieldOf(warning)))];
  let header = "";
  for (const field of fields) {
    const next = header === "" ? field : `${header}, ${field}`;
    if (next.length > MAX_WARNINGS_HEADER) break;
    header = next;
  }
  return header === "" ? undefined : header;
}

const MAX_WARNINGS_HEADER = 1024;

function fieldOf(warning: string): string {
  const colon = warning.indexOf(": ");
  const field = colon > 0 ? warning.slice(0, colon) : warning;
  return field.replace(/[^\x20-\x7e]/g, "?").replace(/,/g, ";");
}

function mergeWarnings(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return `${a}, ${b}`;
}

/** Resolves `requested` or fails the request: a body without a model cannot be routed anywhere. */
export function requireModel(model: unknown): string {
  if (typeof model !== "string" || model === "") {
    throw new CortexError("invalid_request", "model: required (a model id from GET /v1/models)", {
      param: "model",
    });
  }
  return model;
}
