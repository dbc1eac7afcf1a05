import { CortexError } from "@cortex/core";

export interface FakeChatRequest {
  model: string;
  messages: unknown[];
  stream: boolean;
  includeUsage: boolean;
  maxTokens: number;
}

const DEFAULT_MAX_TOKENS = 8;

/** Just the fields the fake acts on; anything else a client sends is accepted and ignored. */
export function parseFakeChatRequest(body: unknown): FakeChatRequest {
  if (typeof body !== "object" || body === null) throw invalid("request body must be a JSON object");
  const record = body as Record<string, unknown>;
  const { model, messages } = record;
  if (typeof model !== "string" || model === "") throw invalid("model: expected a non-empty string", "model");
  if (!Array.isArray(messages) || messages.length === 0) {
    throw invalid("messages: expected a non-empty array", "messages");
  }
  const maxTokens = record["max_completion_tokens"] ?? record["max_tokens"] ?? DEFAULT_MAX_TOKENS;
  if (typeof maxTokens !== "number" || !Number.isInteger(maxTokens) || maxTokens < 1) {
    throw invalid("max_tokens: expected a whole number >= 1", "max_tokens");
  }
  const streamOptions = record["stream_options"];
  const includeUsage =
    typeof streamOptions === "object" &&
    streamOptions !== null &&
    (streamOptions as Record<string, unknown>)["include_usage"] === true;
  return {
    model,
    messages: messages as unknown[],
    stream: record["stream"] === true,
    includeUsage,
    maxTokens,
  };
}

function invalid(message: string, param?: string): CortexError {
  return new CortexError("invalid_request", message, param === undefined ? {} : { param });
}
