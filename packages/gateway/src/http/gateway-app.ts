import {
  CortexError,
  acceptRequestId,
  capConnections,
  limitJsonDepth,
  foreignHostRefusal,
  requestTimeoutOptions,
  type ClientSettings,
  type HttpServerLimits,
} from "@cortex/core";
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type onRequestHookHandler,
} from "fastify";
import { DASHBOARD_ROUTES } from "../dashboard/dashboard-routes.js";
import { OPENAI } from "../dialects/dialect.js";
import { ANTHROPIC_COUNT_TOKENS, anthropicMessages } from "../dialects/anthropic.js";
import { openAIPassthrough } from "../dialects/openai-passthrough.js";
import { deleteResponse, getResponse, responsesCreate, responsesInputTokens } from "../dialects/responses.js";
import type { Dialect, DialectAdapter } from "../pipeline/exchange.js";
import { countOutsidePipeline, runExchange } from "../pipeline/pipeline.js";
import { requireKey } from "./auth.js";
import { gatewayErrorHandler } from "./error-handler.js";
import type { GatewayContext } from "./gateway-context.js";
import { adminDelete, adminLoad, adminPin, adminPull, adminUnload, decisions } from "./routes/admin.js";
import { getModel, listModels } from "./routes/models.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The settings of the API key the request presented (priority class, name); null without keys. */
    apiClient: ClientSettings | null;
  }
}

type Handler = (ctx: GatewayContext, request: FastifyRequest, reply: FastifyReply) => unknown;
type Access = "public" | "client" | "admin";

/** The gateway's whole HTTP surface; extra routes (dashboard, tests) register through `extraRoutes`. */
export interface GatewayRoute {
  method: "GET" | "POST" | "DELETE";
  url: string;
  access: Access;
  handler: Handler;
  /** The envelope of this route's errors; OpenAI's when absent. */
  dialect?: Dialect;
  /** Counted in `cortex_gateway_requests_total` (the pipeline's routes), also when refused before it. */
  metered?: boolean;
}

/** A route that calls a neuron for its client: the request pipeline with the dialect's adapter. */
function exchange(method: "POST", url: string, adapter: DialectAdapter): GatewayRoute {
  return {
    method,
    url,
    access: "client",
    dialect: adapter.dialect,
    metered: true,
    handler: (ctx, request, reply) => runExchange(ctx, adapter, request, reply),
  };
}

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

function routes(ctx: GatewayContext, options: GatewayAppOptions): GatewayRoute[] {
  return [
    { method: "GET", url: "/health", access: "public", handler: () => ({ status: "ok" }) },
    {
      method: "GET",
      url: "/v1/models",
      access: "client",
      handler: (ctx, request) => listModels(ctx, request),
    },
    {
      method: "GET",
      url: "/v1/models/:id",
      access: "client",
      handler: (ctx, request) => getModel(ctx, request as FastifyRequest<{ Params: { id: string } }>),
    },
    exchange("POST", "/v1/chat/completions", openAIPassthrough("/v1/chat/completions")),
    exchange("POST", "/v1/completions", openAIPassthrough("/v1/completions")),
    exchange("POST", "/v1/embeddings", openAIPassthrough("/v1/embeddings")),
    exchange("POST", "/v1/messages", anthropicMessages({ pingEveryMs: options.anthropicPingMs })),
    exchange("POST", "/v1/messages/count_tokens", ANTHROPIC_COUNT_TOKENS),
    exchange(
      "POST",
      "/v1/responses",
      responsesCreate({ store: ctx.responses, now: ctx.now, keepAliveMs: options.anthropicPingMs }),
    ),
    exchange("POST", "/v1/responses/input_tokens", responsesInputTokens(ctx.responses)),
    {
      method: "GET",
      url: "/v1/responses/:id",
      access: "client",
      handler: (_, request) => getResponse(ctx.responses, request as IdRequest),
    },
    {
      method: "DELETE",
      url: "/v1/responses/:id",
      access: "client",
      handler: (_, request) => deleteResponse(ctx.responses, request as IdRequest),
    },
    { method: "GET", url: "/admin/fleet", access: "admin", handler: (ctx) => ctx.fleet() },
    {
      method: "GET",
      url: "/admin/decisions",
      access: "admin",
      handler: (ctx, request) => decisions(ctx, request),
    },
    { method: "POST", url: "/admin/models/load", access: "admin", handler: adminLoad },
    { method: "POST", url: "/admin/models/unload", access: "admin", handler: adminUnload },
    { method: "POST", url: "/admin/models/pull", access: "admin", handler: adminPull },
    { method: "POST", url: "/admin/models/delete", access: "admin", handler: adminDelete },
    {
      method: "POST",
      url: "/admin/models/pin",
      access: "admin",
      handler: (ctx, request, reply) => adminPin(ctx, request, reply, true),
    },
    {
      method: "POST",
      url: "/admin/models/unpin",
      access: "admin",
      handler: (ctx, request, reply) => adminPin(ctx, request, reply, false),
    },
  ];
}

export interface GatewayAppOptions {
  bodyLimit: number;
  limits: HttpServerLimits;
  /** Listening on loopback only: without api_keys, requests must name a loopback Host (DNS rebinding). */
  loopbackOnly: boolean;
  logger: FastifyInstance["log"] | false;
  /** Anthropic streams send `ping` after this much silence, Responses streams an SSE comment. */
  anthropicPingMs: number;
  extraRoutes?: readonly GatewayRoute[];
}

export function buildGatewayApp(ctx: GatewayContext, options: GatewayAppOptions): FastifyInstance {
  const app = Fastify({
    bodyLimit: options.bodyLimit,
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Per-request lines would drown the decisions and transitions we do log.
    logController: new LogController({ disableRequestLogging: true }),
    // The whole request must arrive in time (slow clients get 408); streaming answers are not timed.
    ...requestTimeoutOptions(options.limits.requestTimeoutMs),
    // A pino child per request is a measurable share of the proxy's per-request cost; the few request
    // lines we write name the request id themselves (Fastify's own rare warnings go without it).
    childLoggerFactory: (logger) => logger,
    genReqId: (request) => acceptRequestId(request.headers["x-request-id"]) ?? ctx.newId("req_"),
    // ANTHROPIC_BASE_URL / OPENAI_BASE_URL may carry a path prefix (http://gw/anthropic): serve /v1 under any.
    rewriteUrl: (request) => stripPrefix(request.url ?? "/"),
  });
  app.setErrorHandler(gatewayErrorHandler);
  app.decorateRequest("apiClient", null);
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser(
    "application/json",
    { parseAs: "string" },
    limitJsonDepth(app.getDefaultJsonParser("error", "error")),
  );
  capConnections(app.server, options.limits.maxConnections, (message) => app.log.warn(message));
  // Unknown routes are client routes too: a caller without a key learns nothing about what exists, and
  // (an onRequest hook, as on every route) is refused before its body is read.
  void app.register(async (scope) => {
    scope.addHook("onRequest", accessHook(ctx, "client", options.loopbackOnly));
    scope.setNotFoundHandler((request) => {
      throw new CortexError("not_found", `no route ${request.method} ${request.url.split("?")[0]}`);
    });
  });
  for (const route of [...routes(ctx, options), ...DASHBOARD_ROUTES, ...(options.extraRoutes ?? [])]) {
    app.route({
      method: route.method,
      url: route.url,
      config: { dialect: route.dialect },
      onRequest:
        route.metered === true
          ? [
              // First, so a request the access check refuses is counted too.
              countOutsidePipeline(ctx.metrics, (route.dialect ?? OPENAI).name),
              accessHook(ctx, route.access, options.loopbackOnly),
            ]
          : accessHook(ctx, route.access, options.loopbackOnly),
      handler: (request, reply) => route.handler(ctx, request, reply),
    });
  }
  return app;
}

/**
 * Per route, so the level is known without a lookup. Synchronous on purpose: this runs for every
 * request, and an async hook costs a promise each time.
 */
function accessHook(ctx: GatewayContext, level: Access, loopbackOnly: boolean): onRequestHookHandler {
  return (request, reply, done) => {
    void reply.header("x-request-id", request.id);
    void reply.header("request-id", request.id);
    try {
      // The keys in force now: a reload that rotates them takes effect with the next request.
      const { adminKey, apiKeys } = ctx.runtime();
      if (loopbackOnly && apiKeys.length === 0) {
        const refusal = foreignHostRefusal(request.headers.host, "gateway", "gateway.api_keys");
        if (refusal !== null) throw new CortexError("permission_denied", refusal);
      }
      if (level === "public") return done();
      if (level === "admin" && adminKey !== undefined) requireKey(request.headers, [adminKey], "admin key");
      // Without an admin key, /admin is at least as closed as the client routes, never open.
      const clientLevel = level === "client" || (level === "admin" && adminKey === undefined);
      if (clientLevel && apiKeys.length > 0) {
        // Its settings as they are now: a reload between here and routing cannot swap them.
        request.apiClient = ctx.runtime().client(requireKey(request.headers, apiKeys, "API key")) ?? null;
      }
      done();
    } catch (error) {
      done(error as Error);
    }
  };
}

function stripPrefix(url: string): string {
  const index = url.indexOf("/v1/");
  return index > 0 ? url.slice(index) : url;
}
