import { createHash } from "node:crypto";
import type { CanonicalMessage } from "@cortex/core";

const VOCABULARY = 32_000;
const EMBEDDING_DIM = 8;

/** The fake tokenizer: one token per whitespace-separated word. */
export function fakeWords(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== "");
}

/** Same word → same id, so a repeated conversation shares a token prefix like a real one does. */
export function fakeTokenIds(text: string): number[] {
  return fakeWords(text).map(wordId);
}

export function messagesText(messages: readonly CanonicalMessage[]): string {
  return messages
    .map((message) => {
      switch (message.role) {
        case "system":
        case "tool":
          return message.content;
        case "user":
          return message.content.map((part) => (part.type === "text" ? part.text : "")).join(" ");
        case "assistant":
          return [message.content, ...message.toolCalls.map((call) => call.arguments)].join(" ");
        default:
          return message satisfies never;
      }
    })
    .join(" ");
}

/** Deterministic, distinct per text, unnormalized like llama.cpp's (docs/node-llama-cpp.md §4.5). */
export function fakeEmbedding(text: string): number[] {
  const digest = createHash("sha256").update(text).digest();
  const vector: number[] = [];
  for (let i = 0; i < EMBEDDING_DIM; i++) vector.push((digest.readUInt16BE(i * 2) / 0xffff) * 2 - 1);
  return vector;
}

function wordId(word: string): number {
  // FNV-1a: cheap, stable across processes, good enough spread for a fake vocabulary.
  let hash = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) {
    hash ^= word.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return ((hash >>> 0) % (VOCABULARY - 1)) + 1;
}
