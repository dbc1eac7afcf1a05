import type { CanonicalChatRequest, CanonicalMessage } from "@cortex/core";

/** A canonical request with the defaults decoders produce, overridable per test. */
export function chatRequest(overrides: Partial<CanonicalChatRequest> = {}): CanonicalChatRequest {
  return {
    model: "fake",
    messages: [userMessage("hello there")],
    tools: [],
    toolChoice: { type: "auto" },
    parallelToolCalls: false,
    stop: [],
    responseFormat: { type: "text" },
    stream: true,
    includeUsage: true,
    ...overrides,
  };
}

export function userMessage(text: string): CanonicalMessage {
  return { role: "user", content: [{ type: "text", text }] };
}
