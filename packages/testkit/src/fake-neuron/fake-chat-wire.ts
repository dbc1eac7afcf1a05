/**
 * `chat.completion` and `chat.completion.chunk` objects exactly as API-SPEC §2.3/§2.4 describe them and
 * the real neuron sends them: role chunk first, `usage:null` on every chunk when usage was asked for,
 * a finish chunk with an empty delta, then a `choices:[]` usage chunk.
 */
export interface ChatWire {
  id: string;
  model: string;
  /** Unix seconds. */
  created: number;
  includeUsage: boolean;
}

export type FinishReason = "stop" | "length";

export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

export function wireUsage(promptTokens: number, completionTokens: number): WireUsage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0 },
  };
}

export function chatChunk(
  wire: ChatWire,
  delta: { role?: "assistant"; content?: string },
  finishReason: FinishReason | null = null,
): object {
  return {
    id: wire.id,
    object: "chat.completion.chunk",
    created: wire.created,
    model: wire.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(wire.includeUsage ? { usage: null } : {}),
  };
}

export function usageChunk(wire: ChatWire, usage: WireUsage): object {
  return {
    id: wire.id,
    object: "chat.completion.chunk",
    created: wire.created,
    model: wire.model,
    choices: [],
    usage,
  };
}

export function chatCompletionBody(
  wire: ChatWire,
  text: string,
  finishReason: FinishReason,
  usage: WireUsage,
): object {
  return {
    id: wire.id,
    object: "chat.completion",
    created: wire.created,
    model: wire.model,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: text, refusal: null },
        logprobs: null,
        finish_reason: finishReason,
      },
    ],
    usage,
  };
}
