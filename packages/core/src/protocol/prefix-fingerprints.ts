import { createHash } from "node:crypto";
import { z } from "zod";
import type { CanonicalChatRequest, CanonicalMessage } from "../canonical/chat-request.js";

/**
 * Prefix identity a gateway can compute without the model's tokenizer or chat template.
 *
 * A chat prompt is rendered from the request's messages in order, so two requests whose tools, leading
 * system message and first k messages are equal render the same text, hence the same tokens, up to
 * (about) the start of message k+1. The chain below names those prefixes: element 0 (the "head") hashes
 * the tools and the leading system message, element i hashes element i-1 and message i. Neurons report
 * the elements they can serve fast with the tokens each one covers; a gateway computes the chain of the
 * canonical request it is about to send and looks for its deepest element in a node's report. Both ends
 * hash the canonical request (the gateway the one it encodes, the neuron the one it decodes), so the
 * OpenAI round trip between them must not change it (a test checks it on Claude Code's request).
 * docs/decisions.md explains why this is not a hash of tokens.
 */
export const PREFIX_SCHEME = "cortex-msg-v1";

/** Fingerprints per model a neuron reports at most (heads and conversations together). */
export const PREFIX_REPORT_LIMIT = 64;

const FINGERPRINT_HEX = 16;

/** The chain of a request: [head, after message 1, after message 2, ...] (see PREFIX_SCHEME). */
export function prefixFingerprints(request: Pick<CanonicalChatRequest, "messages" | "tools">): string[] {
  return prefixChain(request).chain;
}

/**
 * The chain, and for each element the characters of canonical JSON hashed up to it: what a gateway
 * without a tokenizer estimates a request's prompt left after a node's matched prefix from.
 */
export function prefixChain(request: Pick<CanonicalChatRequest, "messages" | "tools">): {
  chain: string[];
  chars: number[];
} {
  const [first, ...others] = request.messages;
  const leadingSystem = first?.role === "system" ? first : undefined;
  const rest = leadingSystem ? others : request.messages;
  const head = stableJson({ tools: request.tools, system: leadingSystem ?? null });
  let current = digest(PREFIX_SCHEME, head);
  let total = head.length;
  const chain = [current];
  const chars = [total];
  for (const message of rest) {
    const text = stableJson(onTheWire(message));
    current = digest(current, text);
    total += text.length;
    chain.push(current);
    chars.push(total);
  }
  return { chain, chars };
}

/**
 * Prompt tokens a request may have left to evaluate and still count as short: a returning agent turn
 * (its conversation held by a node's sequence or KV tier) evaluates its new messages, tens to hundreds
 * of tokens; a cold prompt thousands. A neuron serves short requests first and has a long prompt
 * evaluation yield its sequence to one; a gateway sends one to the node holding its prefix even when
 * all its sequences are busy (docs/decisions.md, "short turns first").
 */
export const SHORT_PROMPT_TOKENS = 2048;

/**
 * What of a message survives the OpenAI body between gateway and neuron: a tool result's `isError` does
 * not (its text already starts with "Error: " when it was set, which is what the chat template renders).
 */
function onTheWire(message: CanonicalMessage): unknown {
  if (message.role !== "tool") return message;
  return { role: message.role, toolCallId: message.toolCallId, content: message.content };
}

function digest(previous: string, text: string): string {
  return createHash("sha256")
    .update(previous)
    .update("\n")
    .update(text)
    .digest("hex")
    .slice(0, FINGERPRINT_HEX);
}

/** JSON with object keys sorted, so equal values hash equally whatever order code built them in. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((item) => stableJson(item ?? null)).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(",")}}`;
}

export const PrefixLocationSchema = z.enum(["sequence", "ram", "disk"]);
export type PrefixLocation = z.infer<typeof PrefixLocationSchema>;

/** What a neuron can serve fast for one loaded model, in the status the gateway polls (`GET /models`). */
export const PrefixReportSchema = z.strictObject({
  scheme: z.literal(PREFIX_SCHEME),
  /** Most recently used first; heads (chain element 0) and conversations (deepest elements) alike. */
  prefixes: z
    .array(
      z.strictObject({
        fp: z.string().regex(new RegExp(`^[0-9a-f]{${FINGERPRINT_HEX}}$`)),
        /** Prompt tokens the node holds for this prefix (what a request continuing it would not evaluate). */
        tokens: z.number().int().nonnegative(),
        /** Where the fastest copy is: a sequence (no restore), or the KV tier's RAM or disk. */
        where: PrefixLocationSchema,
      }),
    )
    .max(PREFIX_REPORT_LIMIT)
    // Readonly, so deep-frozen copies (the gateway's fleet view) still type as this.
    .readonly(),
});
export type PrefixReport = z.infer<typeof PrefixReportSchema>;

/** The KV state tier of one loaded model, in `GET /models`. */
export const KvCacheReportSchema = z.strictObject({
  entries: z.number().int().nonnegative(),
  ram_bytes: z.number().int().nonnegative(),
  disk_bytes: z.number().int().nonnegative(),
  /** Requests that restored a saved state instead of evaluating its prefix again. */
  hits: z.number().int().nonnegative(),
  /** Requests that would have needed a saved state and found none worth restoring. */
  misses: z.number().int().nonnegative(),
  /** hits / (hits + misses); null before the first lookup. */
  hit_ratio: z.number().min(0).max(1).nullable(),
});
export type KvCacheReport = z.infer<typeof KvCacheReportSchema>;
