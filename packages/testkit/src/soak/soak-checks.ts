import type { SoakDialect } from "./soak-requests.js";

/**
 * What a client of each dialect accepts as a finished request, written from the public API contracts
 * (not from cortex's encoders): a 200 with a complete body or stream, a non-200 with the dialect's
 * error envelope and a status that dialect uses, or a 200 stream that ends with the dialect's error
 * event. Anything else is `bad`: unaccounted for.
 */
export type Verdict =
  | { readonly kind: "ok" }
  /** An error answer; `code` is what the client would match on (OpenAI `error.code`, Anthropic `error.type`). */
  | { readonly kind: "error"; readonly status: number; readonly code: string; readonly message: string }
  /** A 200 stream that ended with the dialect's error event. */
  | { readonly kind: "stream_error"; readonly code: string; readonly message: string }
  | { readonly kind: "bad"; readonly reason: string };

export interface StreamMessage {
  readonly event: string;
  readonly data: string;
}

const bad = (reason: string): Verdict => ({ kind: "bad", reason });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** OpenAI error `type` by status, as OpenAI's API and SDKs use them. */
function openAIErrorTypeOk(status: number, type: unknown): boolean {
  if (typeof type !== "string") return false;
  if (status === 401) return type === "authentication_error";
  if (status === 403) return type === "permission_error";
  if (status === 429) return type === "requests" || type === "tokens" || type === "rate_limit_error";
  if (status >= 500) return type === "server_error";
  return type === "invalid_request_error";
}

/** Anthropic's status ↔ `error.type` pairs (its API reference, "Errors"). */
const ANTHROPIC_ERROR_TYPES: Readonly<Record<number, string>> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

/** Statuses an OpenAI client can meet (no 499, no 529: those are nginx's and Anthropic's). */
const OPENAI_STATUSES = new Set([400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504]);

export function checkErrorResponse(dialect: SoakDialect, status: number, body: string): Verdict {
  const json = parseJson(body);
  if (!isRecord(json)) return bad(`${status} with a body that is not a JSON object: ${body.slice(0, 120)}`);
  if (dialect === "anthropic") {
    const error = json.error;
    if (json.type !== "error" || !isRecord(error) || typeof error.message !== "string") {
      return bad(`${status} without Anthropic's error envelope: ${body.slice(0, 120)}`);
    }
    const expected = ANTHROPIC_ERROR_TYPES[status];
    if (expected === undefined) return bad(`status ${status} is not one Anthropic answers with`);
    if (error.type !== expected)
      return bad(`${status} with error.type ${String(error.type)} (expected ${expected})`);
    return { kind: "error", status, code: expected, message: error.message };
  }
  const error = json.error;
  if (!isRecord(error) || typeof error.message !== "string") {
    return bad(`${status} without OpenAI's error envelope: ${body.slice(0, 120)}`);
  }
  if (!OPENAI_STATUSES.has(status)) return bad(`status ${status} is not one OpenAI answers with`);
  if (!openAIErrorTypeOk(status, error.type)) return bad(`${status} with error.type ${String(error.type)}`);
  return {
    kind: "error",
    status,
    code: typeof error.code === "string" ? error.code : String(error.type),
    message: error.message,
  };
}

export function checkJsonAnswer(dialect: SoakDialect, body: string): Verdict {
  const json = parseJson(body);
  if (!isRecord(json)) return bad(`200 with a body that is not a JSON object: ${body.slice(0, 120)}`);
  switch (dialect) {
    case "openai": {
      const choice = Array.isArray(json.choices) ? (json.choices[0] as unknown) : undefined;
      if (json.object !== "chat.completion" || !isRecord(choice) || !isRecord(choice.message)) {
        return bad(`200 that is not a chat.completion: ${body.slice(0, 120)}`);
      }
      if (!["stop", "length", "tool_calls", "content_filter"].includes(String(choice.finish_reason))) {
        return bad(`chat.completion with finish_reason ${String(choice.finish_reason)}`);
      }
      return { kind: "ok" };
    }
    case "anthropic":
      if (json.type !== "message" || json.role !== "assistant" || !Array.isArray(json.content)) {
        return bad(`200 that is not a message: ${body.slice(0, 120)}`);
      }
      if (!["end_turn", "max_tokens", "stop_sequence", "tool_use"].includes(String(json.stop_reason))) {
        return bad(`message with stop_reason ${String(json.stop_reason)}`);
      }
      return { kind: "ok" };
    case "responses":
      if (json.object !== "response" || !Array.isArray(json.output)) {
        return bad(`200 that is not a response: ${body.slice(0, 120)}`);
      }
      if (json.status !== "completed" && json.status !== "incomplete") {
        return bad(`response with status ${String(json.status)}`);
      }
      return { kind: "ok" };
    default:
      return dialect satisfies never;
  }
}

/**
 * A whole 200 stream, as the client read it to its end. Complete means the dialect's terminal event
 * came last; an error event must also come last (nothing may follow it but OpenAI's `[DONE]`).
 */
export function checkStream(dialect: SoakDialect, messages: readonly StreamMessage[]): Verdict {
  if (messages.length === 0) return bad("200 stream with no events");
  switch (dialect) {
    case "openai":
      return checkOpenAIStream(messages);
    case "anthropic":
      return checkAnthropicStream(messages);
    case "responses":
      return checkResponsesStream(messages);
    default:
      return dialect satisfies never;
  }
}

function checkOpenAIStream(messages: readonly StreamMessage[]): Verdict {
  if (messages.at(-1)?.data !== "[DONE]") return bad("OpenAI stream that does not end with [DONE]");
  let finished = false;
  for (const [index, message] of messages.slice(0, -1).entries()) {
    const chunk = parseJson(message.data);
    if (!isRecord(chunk)) return bad(`OpenAI stream chunk that is not JSON: ${message.data.slice(0, 120)}`);
    if (isRecord(chunk.error)) {
      if (index !== messages.length - 2) return bad("OpenAI stream goes on after its error chunk");
      const error = chunk.error;
      if (typeof error.message !== "string") return bad("OpenAI stream error without a message");
      return {
        kind: "stream_error",
        code: typeof error.code === "string" ? error.code : String(error.type),
        message: error.message,
      };
    }
    if (chunk.object !== "chat.completion.chunk")
      return bad(`OpenAI stream chunk of ${String(chunk.object)}`);
    const choice = Array.isArray(chunk.choices) ? (chunk.choices[0] as unknown) : undefined;
    if (isRecord(choice) && choice.finish_reason != null) finished = true;
  }
  return finished ? { kind: "ok" } : bad("OpenAI stream ended with [DONE] but no finish_reason");
}

function checkAnthropicStream(messages: readonly StreamMessage[]): Verdict {
  for (const [index, message] of messages.entries()) {
    const event = parseJson(message.data);
    if (!isRecord(event) || event.type !== message.event) {
      return bad(`Anthropic event ${message.event} whose data does not match: ${message.data.slice(0, 120)}`);
    }
    if (index === 0 && message.event !== "message_start" && message.event !== "error") {
      return bad(`Anthropic stream starting with ${message.event}`);
    }
    if (message.event === "error") {
      if (index !== messages.length - 1) return bad("Anthropic stream goes on after its error event");
      const error = event.error;
      if (!isRecord(error) || typeof error.type !== "string" || typeof error.message !== "string") {
        return bad("Anthropic error event without error.type and error.message");
      }
      return { kind: "stream_error", code: error.type, message: error.message };
    }
  }
  return messages.at(-1)?.event === "message_stop"
    ? { kind: "ok" }
    : bad(`Anthropic stream ending with ${messages.at(-1)?.event ?? "nothing"}`);
}

function checkResponsesStream(messages: readonly StreamMessage[]): Verdict {
  let sequence = -1;
  for (const [index, message] of messages.entries()) {
    const event = parseJson(message.data);
    if (!isRecord(event) || event.type !== message.event) {
      return bad(`Responses event ${message.event} whose data does not match: ${message.data.slice(0, 120)}`);
    }
    if (typeof event.sequence_number !== "number" || event.sequence_number <= sequence) {
      return bad(`Responses event ${message.event} out of sequence`);
    }
    sequence = event.sequence_number;
    if (index === 0 && message.event !== "response.created") {
      return bad(`Responses stream starting with ${message.event}`);
    }
    const terminal = ["response.completed", "response.incomplete", "response.failed", "error"];
    if (terminal.includes(message.event) && index !== messages.length - 1) {
      return bad(`Responses stream goes on after ${message.event}`);
    }
    if (message.event === "response.failed") {
      const response = event.response;
      const error = isRecord(response) ? response.error : undefined;
      if (!isRecord(error) || typeof error.code !== "string" || typeof error.message !== "string") {
        return bad("response.failed without response.error.code and message");
      }
      return { kind: "stream_error", code: error.code, message: error.message };
    }
    if (message.event === "error") {
      return {
        kind: "stream_error",
        code: typeof event.code === "string" ? event.code : "error",
        message: typeof event.message === "string" ? event.message : "",
      };
    }
  }
  const last = messages.at(-1)?.event;
  return last === "response.completed" || last === "response.incomplete"
    ? { kind: "ok" }
    : bad(`Responses stream ending with ${last ?? "nothing"}`);
}
