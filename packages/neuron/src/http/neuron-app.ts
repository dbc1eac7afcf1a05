import {
  CortexError,
  acceptRequestId,
  capConnections,
  limitJsonDepth,
  secretMatches,
  foreignHostRefusal,
  requestTimeoutOptions,
  type HttpServerLimits,
} from "@cortex/core";
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import { neuronErrorHandler } from "./error-handler.js";
import type { NeuronContext } from "./neuron-context.js";
import { chatCompletions } from "./routes/chat-completions.js";
import { completions } from "./routes/completions.js";
import { embeddings } from "./routes/embeddings.js";
import { deleteModel, loadModel, pinModel, pullModel, unloadModel } from "./routes/lifecycle.js";
import { health, info, metrics, models, openaiModels } from "./routes/status.js";
import { tokenize } from "./routes/tokenize.js";

type Handler = (ctx: NeuronContext, request: FastifyRequest, reply: FastifyReply) => unknown;

export interface NeuronRoute {
  method: "GET" | "POST" | "DELETE";
  url: string;
  handler: Handler;
  /** Answers without the neuron token. */
  public?: boolean;
}

/** The neuron's whole HTTP surface (listed in README.md, "Neuron"). */
const ROUTES: readonly NeuronRoute[] = [
  { method: "GET", url: "/health", handler: () => health(), public: true },
  { method: "GET", url: "/info", handler: (ctx) => info(ctx) },
  { method: "GET", url: "/models", handler: (ctx) => models(ctx) },
  { method: "POST", url: "/models/load", handler: loadModel },
  { method: "POST", url: "/models/unload", handler: (ctx, request) => unloadModel(ctx, request) },
  { method: "POST", url: "/models/pin", handler: (ctx, request) => pinModel(ctx, request) },
  { method: "POST", url: "/models/pull", handler: pullModel },
  {
    method: "DELETE",
    url: "/models/:model",
    handler: (ctx, request) => deleteModel(ctx, request as FastifyRequest<{ Params: { model: string } }>),
  },
  { method: "POST", url: "/tokenize", handler: tokenize },
  { method: "GET", url: "/metrics", handler: (ctx, _request, reply) => metrics(ctx, reply) },
  { method: "GET", url: "/v1/models", handler: (ctx) => openaiModels(ctx) },
  { method: "POST", url: "/v1/chat/completions", handler: chatCompletions },
  { method: "POST", url: "/v1/completions", handler: completions },
  { method: "POST", url: "/v1/embeddings", handler: embeddings },
];

export interface NeuronAppOptions {
  bodyLimit: number;
  limits: HttpServerLimits;
  /** Listening on loopback only: without a token, requests must name a loopback Host (DNS rebinding). */
  loopbackOnly: boolean;
  logger: FastifyInstance["log"] | false;
  /** Routes an embedder adds (the testkit's fake neuron: its knobs and counters). */
  extraRoutes?: readonly NeuronRoute[];
}

export function buildNeuronApp(ctx: NeuronContext, options: NeuronAppOptions): FastifyInstance {
  const app = Fastify({
    bodyLimit: options.bodyLimit,
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Per-request lines would drown the decisions and transitions we do log.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (request) => acceptRequestId(request.headers["x-request-id"]) ?? ctx.newId("req_"),
    // The whole request must arrive in time (slow clients get 408); generation is not timed.
    ...requestTimeoutOptions(options.limits.requestTimeoutMs),
  });
  const routes = [...ROUTES, ...(options.extraRoutes ?? [])];
  app.setErrorHandler(neuronErrorHandler);
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser(
    "application/json",
    { parseAs: "string" },
    limitJsonDepth(app.getDefaultJsonParser("error", "error")),
  );
  capConnections(app.server, options.limits.maxConnections, (message) => app.log.warn(message));
  app.setNotFoundHandler((request) => {
    throw new CortexError("not_found", `no route ${request.method} ${request.url}`);
  });
  app.addHook("onRequest", async (request, reply) => {
    void reply.header("x-request-id", request.id);
    if (ctx.authToken === undefined && options.loopbackOnly) {
      const refusal = foreignHostRefusal(request.headers.host, "neuron", "auth_token");
      if (refusal !== null) throw new CortexError("permission_denied", refusal);
    }
    if (ctx.authToken !== undefined && !isPublic(routes, request.url)) checkToken(ctx.authToken, request);
  });
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      handler: (request, reply) => route.handler(ctx, request, reply),
    });
  }
  return app;
}

function isPublic(routes: readonly NeuronRoute[], url: string): boolean {
  const path = url.split("?")[0];
  return routes.some((route) => route.public === true && route.url === path);
}

function checkToken(expected: string, request: FastifyRequest): void {
  const header = request.headers.authorization ?? "";
  const given = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
  if (!secretMatches(given, expected)) {
    throw new CortexError("authentication_failed", "missing or invalid neuron token (Authorization: Bearer)");
  }
}
