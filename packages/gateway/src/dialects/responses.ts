import {
  CortexError,
  createResponsesStreamEncoder,
  decodeResponsesInputTokensRequest,
  decodeResponsesRequest,
  encodeResponsesResponse,
  encodeSseEvent,
  errorCode,
  type ResponsesEvent,
  type ResponsesInputTokens,
  type ResponsesObject,
  type ResponsesTurn,
} from "@cortex/core";
import type { FastifyRequest } from "fastify";
import type { DialectAdapter } from "../pipeline/exchange.js";
import type { ResponseStore } from "../responses/response-store.js";
import { RESPONSES } from "./dialect.js";
import { chatExchange, tokenCount, type CanonicalStreamEncoder } from "./translated.js";

export interface ResponsesOptions {
  store: ResponseStore;
  /** Milliseconds since the epoch (`created_at`). */
  now(): number;
  /** An SSE comment goes out after this much silence (a long prompt being processed). */
  keepAliveMs: number;
}

/**
 * `POST /v1/responses`: OpenAI's Responses API, translated through the canonical form. The request's
 * tools and ids shape its answer, so the encoders are built per request around the decoded turn.
 * Answers with `store` not false are kept (see `ResponseStore`) once they are final.
 */
export function responsesCreate(options: ResponsesOptions): DialectAdapter {
  const { store } = options;
  const previousItems = (id: string) => store.conversation(id);
  return {
    dialect: RESPONSES,
    decode(body) {
      const { value, warnings } = decodeResponsesRequest(body, { previousItems });
      const { chat, turn } = value;
      const keep = (response: ResponsesObject): void => {
        if (turn.echo.store) store.put(response, turn.input);
      };
      return {
        model: chat.model,
        warnings,
        ...chatExchange(chat, {
          encodeResponse(response, context) {
            const encoded = encodeResponsesResponse(response, {
              responseId: context.newId("resp_"),
              requestedModel: context.requestedModel,
              turn,
              newId: context.newId,
            });
            keep(encoded.value);
            return encoded;
          },
          createStreamEncoder: (context) =>
            streamEncoder(turn, keep, options.keepAliveMs, {
              responseId: context.newId("resp_"),
              requestedModel: context.requestedModel,
              newId: context.newId,
              createdAt: Math.floor(options.now() / 1000),
            }),
        }),
      };
    },
  };
}

/** Canonical events → Responses SSE frames; the final response is kept once the stream has ended. */
function streamEncoder(
  turn: ResponsesTurn,
  keep: (response: ResponsesObject) => void,
  keepAliveMs: number,
  ids: { responseId: string; requestedModel: string; newId: (prefix: string) => string; createdAt: number },
): CanonicalStreamEncoder {
  const encoder = createResponsesStreamEncoder({ ...ids, turn });
  let kept = false;
  const frames = (events: readonly ResponsesEvent[]): string[] => {
    if (!kept && encoder.response) {
      kept = true;
      keep(encoder.response);
    }
    return events.map((event) => encodeSseEvent(event.type, event));
  };
  return {
    push: (event) => frames(encoder.push(event)),
    finish: () => frames(encoder.finish()),
    fail: (error) =>
      frames(
        encoder.fail({
          code: errorCode(error.code),
          message: `upstream failed mid-stream: ${error.message}`,
        }),
      ),
    // The Responses API has no ping event; a comment line keeps proxies from timing the stream out and
    // every SSE client skips it.
    keepAlive: () => (encoder.ended ? undefined : ": keep-alive\n\n"),
    keepAliveMs,
    warnings: encoder.warnings,
  };
}

/** `POST /v1/responses/input_tokens`: exact counts from the serving model's own tokenizer and template. */
export function responsesInputTokens(store: ResponseStore): DialectAdapter {
  return tokenCount({
    dialect: RESPONSES,
    decodeRequest: (body) =>
      decodeResponsesInputTokensRequest(body, { previousItems: (id) => store.conversation(id) }),
    encodeCount: (count): ResponsesInputTokens => ({ object: "response.input_tokens", input_tokens: count }),
  });
}

/** `GET /v1/responses/{id}`: a stored response, or 404 as OpenAI answers. */
export function getResponse(
  store: ResponseStore,
  request: FastifyRequest<{ Params: { id: string } }>,
): ResponsesObject {
  const response = store.get(request.params.id);
  if (!response) throw notFound(request.params.id);
  return response;
}

/** `DELETE /v1/responses/{id}`. */
export function deleteResponse(
  store: ResponseStore,
  request: FastifyRequest<{ Params: { id: string } }>,
): { id: string; object: "response"; deleted: true } {
  if (!store.delete(request.params.id)) throw notFound(request.params.id);
  return { id: request.params.id, object: "response", deleted: true };
}

function notFound(id: string): CortexError {
  return new CortexError("not_found", `Response with id '${id}' not found.`);
}
