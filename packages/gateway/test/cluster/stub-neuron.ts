import { once, EventEmitter } from "node:events";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { NeuronInfo, NeuronModel } from "@cortex/core";
import { STATUS_BODY_LIMIT } from "../../src/cluster/neuron-client.js";
import { neuronInfo, neuronModel } from "./neuron-fixtures.js";

/**
 * - `error-500`: a bare 500 with a text body (a crashed neuron or a proxy page), not our envelope.
 * - `hang`: never answers. `drop`: destroys the socket without a response.
 * - `wrong-shape`: a 200 whose body breaks the protocol schema in one named field.
 * - `insufficient-memory`: our OpenAI error envelope, code `insufficient_memory`, 503.
 * - `garbage` (chat): a 200 that is not the protocol: an HTML page, or a stream whose second `data:` is
 *   not JSON, then the end of the body without `[DONE]`.
 * - `truncated` (chat streams): one valid chunk, then the end of the body without `[DONE]`.
 * - `oversized`: the route's valid JSON answer padded with whitespace past the gateway's status cap.
 */
export type StubFault =
  | "error-500"
  | "hang"
  | "drop"
  | "wrong-shape"
  | "insufficient-memory"
  | "garbage"
  | "truncated"
  | "oversized";

/** A chat completion chunk with some text, as a neuron streams it. */
export const STUB_CHUNK = JSON.stringify({
  id: "chatcmpl-stub",
  object: "chat.completion.chunk",
  created: 1,
  model: "m1",
  choices: [{ index: 0, delta: { role: "assistant", content: "Hel" }, finish_reason: null }],
});

export interface StubRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface StubNeuronOptions {
  readonly name?: string;
  /** When set, every route wants `Authorization: Bearer <token>`, like `neuron.toml`'s `auth_token`. */
  readonly token?: string;
  readonly models?: readonly NeuronModel[];
}

export const OOM_MESSAGE = "not enough memory for m1: needs 2.0 GiB, 1.0 GiB free";

/**
 * A loopback neuron that speaks the neuron protocol from in-memory state, with failure knobs per route.
 * `POST /v1/chat/completions` opens an SSE stream that stays open until the test ends it.
 */
export class StubNeuron {
  readonly name: string;
  readonly url: string;
  /** What `/models` reports; load and unload flip states here. */
  models: NeuronModel[];
  info: NeuronInfo;
  /** Route path → fault; `*` applies to every route. */
  readonly faults = new Map<string, StubFault>();
  readonly requests: StubRequest[] = [];
  readonly #server: Server;
  readonly #token: string | undefined;
  readonly #events = new EventEmitter();

  private constructor(server: Server, options: StubNeuronOptions) {
    const { port } = server.address() as AddressInfo;
    this.#server = server;
    this.#token = options.token;
    this.name = options.name ?? "stub";
    this.url = `http://127.0.0.1:${port}`;
    this.models = [...(options.models ?? [neuronModel("m1"), neuronModel("m2")])];
    this.info = neuronInfo(this.name);
  }

  static async start(options: StubNeuronOptions = {}): Promise<StubNeuron> {
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const stub = new StubNeuron(server, options);
    // A client that gives up mid-request (an aborted poll) rejects the body read: nothing to answer then.
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      stub.handle(req, res).catch(() => res.destroy());
    });
    return stub;
  }

  /** Resolves at the next request to `path` (after it has been recorded). */
  nextRequest(path: string): Promise<StubRequest> {
    return new Promise((resolve) => {
      const listener = (request: StubRequest): void => {
        if (request.path !== path) return;
        this.#events.off("request", listener);
        resolve(request);
      };
      this.#events.on("request", listener);
    });
  }

  /** Resolves with the next chat stream once its headers and first event are written. */
  nextStream(): Promise<ServerResponse> {
    return once(this.#events, "stream").then(([res]) => res as ServerResponse);
  }

  count(path: string): number {
    return this.requests.filter((request) => request.path === path).length;
  }

  setLoaded(...ids: string[]): void {
    this.models = this.models.map((model) => ({
      ...model,
      state: ids.includes(model.id) ? "loaded" : "unloaded",
    }));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, "close");
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const request: StubRequest = {
      method: req.method ?? "GET",
      path,
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    this.requests.push(request);
    this.#events.emit("request", request);
    if (this.#token !== undefined && req.headers.authorization !== `Bearer ${this.#token}`) {
      sendError(res, 401, "authentication_failed", "missing or invalid neuron token (Authorization: Bearer)");
      return;
    }
    const fault = this.faults.get(path) ?? this.faults.get("*");
    switch (fault) {
      case "hang":
        return;
      case "drop":
        req.socket.destroy();
        return;
      case "error-500":
        res.writeHead(500, { "content-type": "text/plain" }).end("Internal Server Error");
        return;
      case "insufficient-memory":
        sendError(res, 503, "insufficient_memory", OOM_MESSAGE, { "retry-after": "5" });
        return;
      case "garbage":
      case "truncated":
        brokenChat(request, res, fault);
        return;
      case "wrong-shape":
      case "oversized":
      case undefined:
        this.#route(request, res, fault === "wrong-shape", fault === "oversized");
        return;
    }
  }

  #route(request: StubRequest, res: ServerResponse, corrupt: boolean, oversized: boolean): void {
    const route = `${request.method} ${request.path}`;
    const sendJson = (target: ServerResponse, body: unknown): void =>
      writeJson(target, body, oversized ? STATUS_BODY_LIMIT + 1 : 0);
    switch (route) {
      case "GET /info":
        sendJson(res, corrupt ? { ...this.info, backend: "quantum" } : this.info);
        return;
      case "GET /models": {
        const models = corrupt ? this.models.map((model) => ({ ...model, state: "sleeping" })) : this.models;
        sendJson(res, { node: this.name, models, unsupported: [] });
        return;
      }
      case "POST /models/load":
      case "POST /models/unload": {
        const { model: id } = JSON.parse(request.body) as { model: string };
        const state = route === "POST /models/load" ? "loaded" : "unloaded";
        this.models = this.models.map((model) => (model.id === id ? { ...model, state } : model));
        const model = this.models.find((candidate) => candidate.id === id);
        if (model === undefined) sendError(res, 404, "model_not_found", `model ${id} not found`);
        else sendJson(res, corrupt ? { model: { ...model, in_flight: "none" } } : { model });
        return;
      }
      case "POST /tokenize": {
        const { model } = JSON.parse(request.body) as { model: string };
        sendJson(res, { model, count: 3, tokens: [1, 2, 3] });
        return;
      }
      case "POST /v1/chat/completions":
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write('data: {"chunk":1}\n\n', () => this.#events.emit("stream", res));
        return;
      default:
        sendError(res, 404, "not_found", `no route ${route}`);
    }
  }
}

function brokenChat(request: StubRequest, res: ServerResponse, fault: "garbage" | "truncated"): void {
  const { stream } = JSON.parse(request.body) as { stream?: boolean };
  if (stream !== true) {
    res
      .writeHead(200, { "content-type": "text/html" })
      .end("<html><body><h1>502 Bad Gateway</h1>nginx</body></html>");
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.write(`data: ${STUB_CHUNK}\n\n`);
  if (fault === "garbage") res.write("data: <html><body>502 Bad Gateway</body></html>\n\n");
  res.end();
}

/** A 200 JSON answer, padded with trailing whitespace (still valid JSON) to `padTo` bytes. */
function writeJson(res: ServerResponse, body: unknown, padTo = 0): void {
  const json = JSON.stringify(body);
  const padding = Math.max(0, padTo - Buffer.byteLength(json));
  res.writeHead(200, { "content-type": "application/json" }).end(json + " ".repeat(padding));
}

function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const type = status >= 500 ? "server_error" : "invalid_request_error";
  res
    .writeHead(status, { "content-type": "application/json", ...headers })
    .end(JSON.stringify({ error: { message, type, param: null, code } }));
}
