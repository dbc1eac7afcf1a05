import { STATUS_CODES, type IncomingMessage, type Server, type ServerOptions } from "node:http";
import type { Socket } from "node:net";
import { mapOpenAIErrorType } from "../dialects/openai/map-openai-error-type.js";
import { ERROR_CODES, type ErrorCode } from "../errors/error-codes.js";

/**
 * Limits both HTTP servers (gateway and neuron) put on their clients, so a slow or greedy client cannot
 * hold connections forever (issue 11, finding 6). Plain Node options: each app hands them to Fastify.
 */
export interface HttpServerLimits {
  /** Milliseconds for a client to send a whole request, headers and body; generation is not part of it. */
  readonly requestTimeoutMs: number;
  /** Concurrent connections; more are closed as they arrive. */
  readonly maxConnections: number;
}

/**
 * The Fastify constructor options that enforce `requestTimeoutMs`. Node measures it from a request's
 * first byte until the request is complete (the timer stops once the body is in, so a long generation
 * is never cut) and checks every `connectionsCheckingInterval`, 30 s by default, which would let a 1 s
 * timeout run 31 s: the interval is a quarter of the timeout, between 50 ms and 30 s.
 */
export function requestTimeoutOptions(requestTimeoutMs: number): {
  requestTimeout: number;
  http: ServerOptions;
  clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => void;
} {
  return {
    requestTimeout: requestTimeoutMs,
    http: {
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(requestTimeoutMs / 4))),
    },
    clientErrorHandler: answerClientError,
  };
}

/**
 * Caps concurrent connections: Node closes a connection over the cap as soon as it is accepted (its
 * `drop` event). `warn` hears about it at most once a minute, so a flood does not flood the log too.
 */
export function capConnections(
  server: Server,
  maxConnections: number,
  warn: (message: string) => void,
): void {
  server.maxConnections = maxConnections;
  let dropped = 0;
  let warnedAt = -Infinity;
  server.on("drop", () => {
    dropped++;
    const now = Date.now();
    if (now - warnedAt < 60_000) return;
    warnedAt = now;
    warn(`connection limit of ${maxConnections} reached: new connections are closed (${dropped} so far)`);
  });
}

/**
 * A response sent before the request's body was read (a refused key, a route that does not exist) must
 * close the connection: Node would otherwise keep reading and discarding the body for keep-alive, and
 * a client trickling it would hold the connection until the request timeout.
 */
export function hasUnreadBody(request: IncomingMessage): boolean {
  if (request.complete) return false;
  const length = request.headers["content-length"];
  return (length !== undefined && length !== "0") || request.headers["transfer-encoding"] !== undefined;
}

/**
 * Node's `clientError`: a request that did not arrive in time, headers too large, or bytes that are not
 * HTTP. The route (and so the dialect) may not be known yet, so the body satisfies both envelopes:
 * OpenAI clients read `error.message/type/code`, Anthropic clients `type: "error"` and
 * `error.type/message`. Then the connection is closed, whatever the client keeps sending.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [code, message]: [ErrorCode, string] =
    error.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? ["request_timeout", "the request (headers and body) did not arrive in time"]
      : error.code === "HPE_HEADER_OVERFLOW"
        ? ["headers_too_large", "request headers too large"]
        : ["invalid_request", "malformed HTTP request"];
  const status = ERROR_CODES[code].status;
  // Our handlers answer only once a request is complete, and close the connection when they refuse one
  // early, so no response is half-written on a socket that is still receiving a request.
  if (socket.writable) socket.write(rawErrorResponse(status, code, message));
  socket.destroy();
}

function rawErrorResponse(status: number, code: string, message: string): string {
  const body = JSON.stringify({
    type: "error",
    // "invalid_request_error" for these 4xx statuses, which is Anthropic's name for them too.
    error: {
      type: mapOpenAIErrorType(status),
      message,
      code,
      param: null,
    },
  });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\ncontent-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}
