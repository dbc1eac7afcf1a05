/** The fake's "tokenizer": one token per whitespace-separated word. */
export function words(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== "");
}

/** All the text in OpenAI chat messages: string contents and text parts. */
export function messagesText(messages: readonly unknown[]): string {
  const texts: string[] = [];
  for (const message of messages) {
    if (typeof message !== "object" || message === null) continue;
    const content = (message as { content?: unknown }).content;
    if (typeof content === "string") texts.push(content);
    else if (Array.isArray(content)) {
      for (const part of content as unknown[]) {
        const text =
          typeof part === "object" && part !== null ? (part as { text?: unknown }).text : undefined;
        if (typeof text === "string") texts.push(text);
      }
    }
  }
  return texts.join("\n");
}

/** Stable ids per word, so equal prompts tokenize equally. */
export function fakeTokenIds(tokens: readonly string[]): number[] {
  return tokens.map((token) => {
    let hash = 2166136261;
    for (let i = 0; i < token.length; i++) hash = Math.imul(hash ^ token.charCodeAt(i), 16777619);
    return (hash >>> 0) % 32000;
  });
}

export interface FakeReply {
  /** Text pieces, one per token; joined they are the reply. */
  pieces: string[];
  finishReason: "stop" | "length";
}

/** "tok0 tok1 …" to `maxTokens` (finish "length"), or `replyText` cut at `maxTokens` ("stop" if it fits). */
export function fakeReply(replyText: string | null, maxTokens: number): FakeReply {
  if (replyText === null) {
    return {
      pieces: Array.from({ length: maxTokens }, (_, i) => (i === 0 ? "tok0" : ` tok${i}`)),
      finishReason: "length",
    };
  }
  const pieces = replyText.match(/\s*\S+\s*$|\s*\S+/g) ?? [];
  if (pieces.length > maxTokens) return { pieces: pieces.slice(0, maxTokens), finishReason: "length" };
  return { pieces, finishReason: "stop" };
}
