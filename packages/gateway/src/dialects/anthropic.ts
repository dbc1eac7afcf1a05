import {
  createAnthropicStreamEncoder,
  decodeAnthropicCountTokensRequest,
  decodeAnthropicRequest,
  encodeAnthropicResponse,
  encodeSseEvent,
  type AnthropicEvent,
} from "@cortex/core";
import type { DialectAdapter } from "../pipeline/exchange.js";
import { ANTHROPIC } from "./dialect.js";
import { tokenCount, translatedChat } from "./translated.js";

/** `POST /v1/messages`: the Messages API, its stream through an explicit Anthropic state machine. */
export function anthropicMessages(options: { pingEveryMs: number }): DialectAdapter {
  return translatedChat({
    dialect: ANTHROPIC,
    decodeRequest: decodeAnthropicRequest,
    encodeResponse: (response, context) =>
      encodeAnthropicResponse(response, { requestedModel: context.requestedModel, newId: context.newId }),
    createStreamEncoder(context) {
      const encoder = createAnthropicStreamEncoder({
        requestedModel: context.requestedModel,
        messageId: context.newId("msg_"),
        newId: context.newId,
      });
      return {
        push: (event) => frames(encoder.push(event)),
        finish: () => frames(encoder.finish()),
        fail: (error) => frames(encoder.fail(`upstream failed mid-stream: ${error.message}`, "api_error")),
        // Keep-alive during long silences (prompt processing of a big context), as the real API does.
        keepAlive: () => (encoder.ended ? undefined : frames(encoder.ping())),
        keepAliveMs: options.pingEveryMs,
        warnings: encoder.warnings,
      };
    },
  });
}

/** `POST /v1/messages/count_tokens`: exact counts from the serving model's own tokenizer and template. */
export const ANTHROPIC_COUNT_TOKENS: DialectAdapter = tokenCount({
  dialect: ANTHROPIC,
  decodeRequest: decodeAnthropicCountTokensRequest,
  encodeCount: (count) => ({ input_tokens: count }),
});

function frames(events: readonly AnthropicEvent[]): string[] {
  return events.map((event) => encodeSseEvent(event.event, event.data));
}
