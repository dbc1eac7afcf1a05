import type { Readable } from "node:stream";
import {
  DeleteResponseSchema,
  LifecycleResponseSchema,
  PullResponseSchema,
  NeuronInfoSchema,
  NeuronModelsResponseSchema,
  TokenizeResponseSchema,
  CortexError,
  type DeleteResponse,
  type LoadRequest,
  type PullRequest,
  type NeuronInfo,
  type NeuronModel,
  type NeuronModelsResponse,
  type TokenizeRequest,
  type TokenizeResponse,
  type PinRequest,
  type UnloadRequest,
} from "@cortex/core";
import { Pool, type Dispatcher } from "undici";
import type { Cancellation } from "../cancellation.js";
import type { z } from "zod";
import { neuronStatusError, neuronTransportError, parseNeuronResponse } from "./neuron-errors.js";

/** Milliseconds; the same fields as `CortexConfig["timeouts"]`. */
export interface NeuronTimeouts {
  readonly connect: number;
  /** Until response headers: covers prompt processing on inference routes. */
  readonly firstByte: number;
  /** Between body chunks. */
  readonly idle: number;
  /** Until headers on routes that wait for a model load (load, unload, tokenize). */
  readonly load: number;
}

export interface NeuronClientOptions {
  readonly name: string;
  /** Base URL; a path prefix (a neuron behind a reverse proxy) is kept. */
  readonly endpoint: string;
  /** Sent as `Authorization: Bearer`. */
  readonly token?: string | undefined;
  readonly timeouts: NeuronTimeouts;
  /** Sockets to this neuron: every concurrent stream holds one (no pipelining). */
  readonly connections?: number;
  /**
   * Largest body read whole from the neuron (a non-streaming answer, a token list); default 256 MiB.
   * Status and lifecycle replies are capped lower still, at `STATUS_BODY_LIMIT`.
   */
  readonly maxBodyBytes?: number;
}

export interface NeuronRequest {
  readonly method: "GET" | "POST" | "DELETE";
  /** Starts with `/`, relative to the endpoint. */
  readonly path: string;
  readonly body?: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
  /** A Cancellation on the proxy path (no AbortSignal to build per request). */
  readonly signal: AbortSignal | Cancellation;
}

export interface NeuronResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * Unbuffered; destroying it aborts the upstream request. Its errors are transport errors: turn them
   * into CortexErrors with `mapError` (no stream in between, so relaying costs nothing per chunk).
   */
  readonly body: Readable;
  /** The whole body as text, failures already mapped. */
  text(): Promise<string>;
  mapError(error: unknown): CortexError;
}

const DEFAULT_CONNECTIONS = 64;
/** How much of a body is read whole, and what the error calls it when a node sends more. */
interface BodyCap {
  readonly bytes: number;
  readonly kind: string;
}
/** Error bodies are small envelopes; a bigger one is something else (an HTML page) and is cut. */
const ERROR_BODY_LIMIT = 64 * 1024;
/**
 * A non-streaming answer is read whole: a node (broken or hostile) must not grow the gateway without
 * bound. Generous, since a large embeddings batch is legitimately tens of MiB.
 */
const BODY_LIMIT = 256 * 1024 * 1024;
/**
 * Status and lifecycle replies (`/info`, `/models`, a load's model report) are read whole on every poll
 * of every node, so they get a cap of their own: a model's report is under 1 KiB (about 7 KiB with a full
 * prefix report), so 8 MiB holds thousands of models, while the answer cap would let one broken or
 * hostile node make the gateway buffer 256 MiB per poll. A reply past it is a failed poll.
 */
export const STATUS_BODY_LIMIT = 8 * 1024 * 1024;
/**
 * Headers the neuron hop owns. The client's own credentials must never reach a neuron, and undici sets
 * framing headers itself (a forwarded content-length that disagrees with the body is an error).
 */
const HOP_HEADERS = new Set([
  "authorization",
  "x-api-key",
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "upgrade",
  "proxy-authorization",
]);

/**
 * The gateway's connection to one neuron: one keep-alive pool, explicit timeouts, the shared token, and
 * every failure turned into a CortexError that names the node.
 */
export class NeuronClient {
  readonly name: string;
  readonly endpoint: string;
  readonly #pool: Pool;
  /** Status polls and lifecycle calls: never queued behind the proxy's streams (see the constructor). */
  readonly #control: Pool;
  readonly #basePath: string;
  readonly #authorization: string | undefined;
  readonly #timeouts: NeuronTimeouts;
  readonly #answerCap: BodyCap;
  readonly #statusCap: BodyCap;

  constructor(options: NeuronClientOptions) {
    const maxBodyBytes = options.maxBodyBytes ?? BODY_LIMIT;
    this.#answerCap = { bytes: maxBodyBytes, kind: "answers" };
    this.#statusCap = {
      bytes: Math.min(STATUS_BODY_LIMIT, maxBodyBytes),
      kind: "status and lifecycle replies",
    };
    const url = new URL(options.endpoint);
    this.name = options.name;
    this.endpoint = options.endpoint;
    this.#basePath = url.pathname.replace(/\/+$/, "");
    this.#authorization = options.token === undefined ? undefined : `Bearer ${options.token}`;
    this.#timeouts = options.timeouts;
    const common = {
      // A long generation must never queue a status poll behind it on the same socket.
      pipelining: 1,
      connectTimeout: options.timeouts.connect,
      headersTimeout: options.timeouts.firstByte,
      bodyTimeout: options.timeouts.idle,
    };
    this.#pool = new Pool(url.origin, { ...common, connections: options.connections ?? DEFAULT_CONNECTIONS });
    // Once every proxy socket holds a stream, a call on that pool waits for one to end: the soak saw
    // status polls time out that way and healthy nodes marked down. The JSON calls (a poll per interval,
    // a load or unload per model, token counts bounded by the gateway's max_connections) are few and
    // short, so their pool has no socket limit.
    this.#control = new Pool(url.origin, { ...common, connections: null });
  }

  info(signal: AbortSignal): Promise<NeuronInfo> {
    return this.#json("GET", "/info", undefined, NeuronInfoSchema, signal, this.#timeouts.firstByte);
  }

  models(signal: AbortSignal): Promise<NeuronModelsResponse> {
    return this.#json(
      "GET",
      "/models",
      undefined,
      NeuronModelsResponseSchema,
      signal,
      this.#timeouts.firstByte,
    );
  }

  /** Resolves with the model's fresh report once it is loaded (the neuron joins a load already running). */
  load(request: LoadRequest, signal: AbortSignal): Promise<NeuronModel> {
    return this.#lifecycle("/models/load", request, LifecycleResponseSchema, signal);
  }

  /** The neuron waits for the model's in-flight requests unless `force`, hence the load timeout. */
  unload(request: UnloadRequest, signal: AbortSignal): Promise<NeuronModel> {
    return this.#lifecycle("/models/unload", request, LifecycleResponseSchema, signal);
  }

  /** Sets (or with null clears) the model's runtime pin on the neuron, which keeps and reports it. */
  async pin(request: PinRequest, signal: AbortSignal): Promise<NeuronModel> {
    const response = await this.#json(
      "POST",
      "/models/pin",
      request,
      LifecycleResponseSchema,
      signal,
      this.#timeouts.firstByte,
    );
    return response.model;
  }

  /**
   * Starts a pull from Hugging Face on the neuron; it answers once the repo is listed and the file
   * chosen (the download goes on in the background and shows in `/models`), hence the load timeout.
   */
  pull(request: PullRequest, signal: AbortSignal): Promise<NeuronModel> {
    return this.#lifecycle("/models/pull", request, PullResponseSchema, signal);
  }

  /** A lifecycle call: it may wait for a load or for in-flight requests, so it gets the load timeout. */
  async #lifecycle(
    path: string,
    request: LoadRequest | UnloadRequest | PullRequest,
    schema: typeof LifecycleResponseSchema | typeof PullResponseSchema,
    signal: AbortSignal,
  ): Promise<NeuronModel> {
    const response = await this.#json("POST", path, request, schema, signal, this.#timeouts.load);
    return response.model;
  }

  /** Removes a pulled model (the neuron unloads it first, waiting for its requests) or cancels its pull. */
  deleteModel(model: string, signal: AbortSignal): Promise<DeleteResponse> {
    return this.#json(
      "DELETE",
      `/models/${encodeURIComponent(model)}`,
      undefined,
      DeleteResponseSchema,
      signal,
      this.#timeouts.load,
    );
  }

  /** Loads a cold model on demand on the neuron (the tokenizer lives in the weights), hence the load timeout. */
  tokenize(request: TokenizeRequest, signal: AbortSignal): Promise<TokenizeResponse> {
    // A token list is as long as the prompt, so it gets the answers' cap.
    return this.#json(
      "POST",
      "/tokenize",
      request,
      TokenizeResponseSchema,
      signal,
      this.#timeouts.load,
      this.#answerCap,
    );
  }

  /**
   * The proxy's primitive: resolves at response headers with the body still streaming. Any status comes
   * back as is; turn a non-2xx one into a CortexError with `readError` (the one mapper, neuron-errors.ts).
   */
  async request(request: NeuronRequest): Promise<NeuronResponse> {
    const response = await this.#send(request, this.#timeouts.firstByte);
    const mapError = (error: unknown): CortexError => neuronTransportError(this.name, error, request.signal);
    // A reset between headers and the first read must not become an unhandled 'error' event.
    response.body.on("error", ignore);
    return {
      statusCode: response.statusCode,
      headers: response.headers,
      body: response.body,
      text: () =>
        this.#readBody(response.body, `${request.method} ${request.path}`, this.#answerCap).catch(
          (error: unknown) => Promise.reject(error instanceof CortexError ? error : mapError(error)),
        ),
      mapError,
    };
  }

  /** Reads a non-2xx response's body (at most 64 KiB of it) and maps the neuron's error envelope. */
  async readError(response: NeuronResponse): Promise<CortexError> {
    let text: string;
    try {
      // Cut, not refused: the start of an oversized error page is still worth quoting.
      text = (await readCapped(response.body, ERROR_BODY_LIMIT)).text();
    } catch (error) {
      return neuronTransportError(this.name, error);
    }
    return neuronStatusError(this.name, response.statusCode, text, response.headers["retry-after"]);
  }

  /** The whole body as text, or an upstream_error once it passes the cap (the rest is not read). */
  async #readBody(body: Readable, what: string, cap: BodyCap): Promise<string> {
    const { text, cut } = await readCapped(body, cap.bytes);
    if (cut) {
      throw new CortexError(
        "upstream_error",
        `neuron ${this.name}: the answer to ${what} is larger than ${cap.bytes} bytes (the cap for ${cap.kind})`,
      );
    }
    return text();
  }

  /** Aborts everything in flight and closes the sockets. */
  async close(): Promise<void> {
    await Promise.all(
      [this.#pool, this.#control].map(async (pool) => {
        if (!pool.destroyed) await pool.destroy();
      }),
    );
  }

  /** Lets requests in flight finish, then closes (a config reload replacing this client). */
  async drain(): Promise<void> {
    await Promise.all(
      [this.#pool, this.#control].map(async (pool) => {
        if (!pool.closed && !pool.destroyed) await pool.close();
      }),
    );
  }

  async #json<T extends z.ZodType>(
    method: NeuronRequest["method"],
    path: string,
    payload: unknown,
    schema: T,
    signal: AbortSignal,
    headersTimeout: number,
    cap: BodyCap = this.#statusCap,
  ): Promise<z.output<T>> {
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await this.#send({ method, path, body, headers, signal }, headersTimeout, this.#control);
    let text: string;
    try {
      text = await this.#readBody(response.body, `${method} ${path}`, cap);
    } catch (error) {
      if (error instanceof CortexError) throw error;
      throw neuronTransportError(this.name, error, signal);
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw neuronStatusError(this.name, response.statusCode, text, response.headers["retry-after"]);
    }
    return parseNeuronResponse(this.name, `${method} ${path}`, schema, text);
  }

  async #send(
    request: NeuronRequest,
    headersTimeout: number,
    pool: Pool = this.#pool,
  ): Promise<Dispatcher.ResponseData> {
    try {
      return await pool.request({
        method: request.method,
        path: this.#basePath + request.path,
        headers: this.#headers(request.headers),
        body: request.body ?? null,
        signal: request.signal,
        headersTimeout,
        bodyTimeout: this.#timeouts.idle,
      });
    } catch (error) {
      throw neuronTransportError(this.name, error, request.signal);
    }
  }

  #headers(given: Readonly<Record<string, string>> = {}): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(given)) {
      if (!HOP_HEADERS.has(name.toLowerCase())) headers[name] = value;
    }
    if (this.#authorization !== undefined) headers.authorization = this.#authorization;
    return headers;
  }
}

function ignore(): void {}

/**
 * Reads `body` to its end, or until it passes `limit` bytes: then it is destroyed (the rest is never
 * read, so a node cannot make the gateway buffer more than `limit` plus one chunk) and `cut` is set.
 * `text()` joins what was read, only for callers that want it.
 */
async function readCapped(body: Readable, limit: number): Promise<{ text: () => string; cut: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let cut = false;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        cut = true;
        break;
      }
    }
  } finally {
    body.destroy();
  }
  return { text: () => Buffer.concat(chunks).toString("utf8"), cut };
}
