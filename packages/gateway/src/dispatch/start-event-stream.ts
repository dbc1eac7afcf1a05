import type { ServerResponse } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";

/** Takes the response over from Fastify and sends the event-stream headers both dialects use. */
export function startEventStream(request: FastifyRequest, reply: FastifyReply, node: string): ServerResponse {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    // OpenAI clients read x-request-id, Anthropic clients request-id.
    "x-request-id": request.id,
    "request-id": request.id,
    "x-cortex-node": node,
  });
  return res;
}
