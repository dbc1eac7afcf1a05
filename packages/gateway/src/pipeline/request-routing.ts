import {
  CortexError,
  PRIORITY_CLASSES,
  decodeOpenAIChatRequest,
  prefixChain,
  type ClientSettings,
  type PriorityClass,
} from "@cortex/core";
import type { RequestPrefix } from "../routing/route-candidates.js";
import type { UpstreamCall } from "./exchange.js";

/**
 * What routing knows of a request besides its model: its priority class and who it is from (the API key
 * or the `x-cortex-priority` header), and its prompt prefix identity (computed from the neuron request).
 */

/** The header a request may choose its priority class with, where its key allows it. */
export const PRIORITY_HEADER = "x-cortex-priority";

export interface RequestPriority {
  readonly priority: PriorityClass;
  /** Who the request is from, for fairness between keys within a class. */
  readonly flow: string;
  /** Set when the header was sent but not honoured (listed in the adjusted-fields header). */
  readonly warning?: string;
}

/**
 * A request's class and flow: its API key's settings, or the header where the key may set it. Without
 * api_keys every request may set it: a keyless gateway trusts all its clients alike, and there is no key
 * to hold the setting.
 */
export function requestPriority(
  header: string | string[] | undefined,
  client: ClientSettings | null,
  keyless: boolean,
): RequestPriority {
  const flow = client?.name ?? "anonymous";
  const own = client?.priority ?? "normal";
  if (header === undefined) return { priority: own, flow };
  const value = (Array.isArray(header) ? header[0] : header)?.trim().toLowerCase() ?? "";
  if (!(PRIORITY_CLASSES as readonly string[]).includes(value)) {
    throw new CortexError(
      "invalid_request",
      `${PRIORITY_HEADER}: expected one of ${PRIORITY_CLASSES.join(", ")}`,
      { param: PRIORITY_HEADER },
    );
  }
  if (keyless || client?.priorityHeader === true) return { priority: value as PriorityClass, flow };
  return {
    priority: own,
    flow,
    warning: `${PRIORITY_HEADER}: ignored, key ${flow} may not set its priority (priority_header)`,
  };
}

/**
 * Characters of a chat body per prompt token, roughly: JSON overhead and English text together. Only
 * the routing cost model uses the estimate (a neuron's report always carries its exact count).
 */
const CHARS_PER_TOKEN = 4;

/**
 * The prefix chain (`cortex-msg-v1`) of a chat request, from the very body the neuron will decode: the
 * neuron hashes the canonical request it decodes from that body, so decoding the same body here gives
 * the same chain whatever dialect the client spoke. Null for other calls (embeddings, raw completions,
 * token counts) and for a body the decoder refuses (the neuron will say why).
 */
export function requestPrefix(call: UpstreamCall): RequestPrefix | null {
  if (call.path !== "/v1/chat/completions") return null;
  try {
    const { value } = decodeOpenAIChatRequest(JSON.parse(call.body));
    const { chain, chars } = prefixChain(value);
    const total = chars.at(-1) ?? 0;
    return {
      chain,
      tokens: Math.ceil(call.body.length / CHARS_PER_TOKEN),
      // After a match at element k the prompt left is about the messages after it.
      leftTokens: chars.map((upTo) => Math.ceil((total - upTo) / CHARS_PER_TOKEN)),
    };
  } catch {
    return null;
  }
}
