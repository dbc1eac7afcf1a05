import type { IncomingMessage, ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import { CortexError, toCortexError, type NeuronModelsResponse } from "@cortex/core";
import { fakeChatCompletions } from "./fake-chat-completions.js";
import { parseKnobs } from "./fake-knobs.js";
import { fakeLoad, fakeTokenize, fakeUnload } from "./fake-lifecycle-routes.js";
import type { FakeNode } from "./fake-node.js";
import { readJsonBody, sendJson } from "./http-json.js";
import { sendOpenAIError } from "./openai-error-envelope.js";

type Handler = (node: FakeNode, req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

interface Route {
  method: "GET" | "POST";
  path: string;
  handler: Handler;
  /** Answers without the neuron token: health checks, and the test's own control plane. */
  public?: boolean;
}

/** The neuron API (DESIGN.md "Neuron API") as far as the gateway uses it, plus `/__fake/*` for tests. */
const ROUTES: readonly Route[] = [
  {
    method: "GET",
    path: "/health",
    handler: (_node, _req, res) => sendJson(res, 200, { status: "ok" }),
    public: true,
  },
  { method: "GET", path: "/info", handler: (node, _req, res) => hangable(node, res, () => node.info()) },
  {
    method: "GET",
    path: "/models",
    handler: (node, _req, res) => hangable(node, res, () => modelsBody(node)),
  },
  { method: "POST", path: "/models/load", handler: fakeLoad },
  { method: "POST", path: "/models/unload", handler: fakeUnload },
  { method: "POST", path: "/tokenize", handler: fakeTokenize },
  { method: "GET", path: "/v1/models", handler: (node, _req, res) => sendJson(res, 200, openAIModels(node)) },
  { method: "POST", path: "/v1/chat/completions", handler: fakeChatCompletions },
  {
    method: "GET",
    path: "/__fake/knobs",
    handler: (node, _req, res) => sendJson(res, 200, node.knobs),
    public: true,
  },
  { method: "POST", path: "/__fake/knobs", handler: setKnobs, public: true },
  {
    method: "GET",
    path: "/__fake/stats",
    handler: (node, _req, res) => sendJson(res, 200, node.stats()),
    public: true,
  },
];

export async function handleFakeNeuronRequest(
  node: FakeNode,
  token: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    const given = req.headers["x-request-id"];
    res.setHeader("x-request-id", typeof given === "string" && given !== "" ? given : node.newId("req_"));
    const path = new URL(req.url ?? "/", "http://fake").pathname;
    const route = ROUTES.find((candidate) => candidate.path === path && candidate.method === req.method);
    if (!route) throw new CortexError("not_found", `no route ${req.method ?? "?"} ${path}`);
    if (token !== undefined && route.public !== true) checkToken(token, req);
    await route.handler(node, req, res);
  } catch (error) {
    // A client that left, or a response already under way, has nobody to read an error envelope.
    if (res.destroyed) return;
    if (res.headersSent) res.destroy();
    else sendOpenAIError(res, toCortexError(error));
  }
}

function hangable(node: FakeNode, res: ServerResponse, body: () => unknown): void {
  // Never answering is the point: the caller's timeout, or the fake's close(), ends the request.
  if (!node.knobs.hangInfo) sendJson(res, 200, body());
}

function modelsBody(node: FakeNode): NeuronModelsResponse {
  return { node: node.name, models: node.models(), unsupported: [] };
}

function openAIModels(node: FakeNode): unknown {
  return {
    object: "list",
    data: node
      .models()
      .filter((model) => model.state !== "failed")
      .map((model) => ({
        id: model.id,
        object: "model",
        created: Math.floor((model.last_used ?? 0) / 1000),
        owned_by: "cortex",
        context_length: model.context_length,
        state: model.state,
      })),
  };
}

async function setKnobs(node: FakeNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
  node.set(parseKnobs(await readJsonBody(req)));
  sendJson(res, 200, node.knobs);
}

function checkToken(expected: string, req: IncomingMessage): void {
  const header = req.headers.authorization ?? "";
  const given = Buffer.from(header.startsWith("Bearer ") ? header.slice("Bearer ".length) : "");
  const wanted = Buffer.from(expected);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    throw new CortexError("authentication_failed", "missing or invalid neuron token (Authorization: Bearer)");
  }
}
