import type { FleetSnapshot, HeldPrefix, ModelOnNode } from "./fleet-snapshot.js";
import type { ReuseSource, RouteCandidate } from "./route-score.js";

/** What routing knows of a request's prompt: its prefix chain (`cortex-msg-v1`) and a size estimate. */
export interface RequestPrefix {
  readonly chain: readonly string[];
  /** Prompt tokens, estimated from the request's size (the gateway has no tokenizer). */
  readonly tokens: number;
  /**
   * Per chain element: prompt tokens left to evaluate after a node's match there, estimated from the
   * messages after it (absent: the whole prompt minus the matched tokens).
   */
  readonly leftTokens?: readonly number[];
}

/**
 * Where this gateway sent conversations recently, until the nodes' own reports show them: an agent's
 * next turn usually arrives before the next poll, and a node's report is always the better source once
 * it is there. A hint with a short life (`ttlMs`), never truth another gateway would need: a gateway
 * without it routes on the reports alone, one poll later. Bounded (least recently remembered dropped).
 */
export class RoutedPrefixes {
  /**
   * Per copy (model and node), what was sent there by fingerprint: a candidate looks up every element
   * of a chain (dozens in an agent's session), so no key is built per lookup.
   */
  readonly #byCopy = new Map<string, Map<string, { tokens: number; at: number }>>();
  /** Every entry, the least recently remembered first: the bound drops from the front. */
  readonly #order = new Map<string, { copy: string; fp: string }>();
  readonly #limit: number;

  constructor(limit = 4096) {
    this.#limit = limit;
  }

  /** `node` now holds `prefix` for `model` (it was just sent there). */
  remember(model: string, node: string, prefix: RequestPrefix, at: number): void {
    const deepest = prefix.chain.at(-1);
    if (deepest === undefined) return;
    const copy = copyKey(model, node);
    const key = `${copy}\u0000${deepest}`;
    this.#order.delete(key);
    this.#order.set(key, { copy, fp: deepest });
    let sent = this.#byCopy.get(copy);
    if (sent === undefined) {
      sent = new Map();
      this.#byCopy.set(copy, sent);
    }
    sent.set(deepest, { tokens: prefix.tokens, at });
    if (this.#order.size > this.#limit) {
      const oldest = this.#order.entries().next().value;
      if (oldest !== undefined) this.#forget(oldest[0], oldest[1].copy, oldest[1].fp);
    }
  }

  /**
   * The prompt tokens sent to `node` for `model` within `ttlMs`, by fingerprint; null when nothing
   * was (no lookup per chain element then). Expired entries go as they are met.
   */
  /** Whether anything was remembered as sent to the copy (fresh or not: a cheap upper bound). */
  sentAny(model: string, node: string): boolean {
    return this.#byCopy.has(copyKey(model, node));
  }

  sentTo(
    model: string,
    node: string,
    now: number,
    ttlMs: number,
  ): ((fp: string) => number | undefined) | null {
    const copy = copyKey(model, node);
    const sent = this.#byCopy.get(copy);
    if (sent === undefined) return null;
    return (fp) => {
      const entry = sent.get(fp);
      if (entry === undefined) return undefined;
      if (now - entry.at > ttlMs) {
        this.#forget(`${copy}\u0000${fp}`, copy, fp);
        return undefined;
      }
      return entry.tokens;
    };
  }

  get size(): number {
    return this.#order.size;
  }

  #forget(key: string, copy: string, fp: string): void {
    this.#order.delete(key);
    const sent = this.#byCopy.get(copy);
    sent?.delete(fp);
    if (sent?.size === 0) this.#byCopy.delete(copy);
  }
}

function copyKey(model: string, node: string): string {
  return `${model}\u0000${node}`;
}

export interface CandidateOptions {
  readonly modelId: string;
  readonly allowedNodes?: readonly string[];
  readonly preferredNodes?: readonly string[];
  /** Null when the request has no prefix identity (embeddings, raw completions) or the policy ignores it. */
  readonly prefix: RequestPrefix | null;
  readonly routed?: { memory: RoutedPrefixes; now: number; ttlMs: number };
  /** Requests of this gateway's queue waiting for each node, ahead of this one. */
  readonly waitingAhead?: ReadonlyMap<string, number>;
}

/** The nodes where the model is loaded and routable, with what each holds of the request's prompt. */
export function routeCandidates(snapshot: FleetSnapshot, options: CandidateOptions): RouteCandidate[] {
  const { modelId, allowedNodes, preferredNodes } = options;
  // A plain loop: this runs several times per request.
  const candidates: RouteCandidate[] = [];
  for (const node of snapshot.nodes) {
    if (node.state === "down") continue;
    if (allowedNodes !== undefined && !allowedNodes.includes(node.name)) continue;
    const entry = node.models.find((m) => m.id === modelId && m.state === "loaded" && m.allowed);
    if (entry === undefined) continue;
    const copy = {
      node: node.name,
      health: node.state,
      entry,
      preferred: preferredNodes?.includes(node.name) ?? false,
    };
    candidates.push(routeCandidate(copy, entry.inFlight, options));
  }
  return candidates;
}

/** A loaded copy of a model routing may use: its node, and the model's entry in that node's snapshot. */
export interface RoutableCopy {
  readonly node: string;
  readonly health: "up" | "degraded";
  readonly entry: ModelOnNode;
  /** The model's profile prefers this node. */
  readonly preferred: boolean;
}

/**
 * One copy as routing scores it, with `inFlight` the requests holding its sequences (the snapshot's
 * count, or the router's own up-to-date one).
 */
export function routeCandidate(
  copy: RoutableCopy,
  inFlight: number,
  options: CandidateOptions,
): RouteCandidate {
  const { modelId, prefix, routed, waitingAhead } = options;
  const reuse =
    prefix === null
      ? null
      : deepestHeld(
          prefix.chain,
          copy.entry.prefixes,
          routed?.memory.sentTo(modelId, copy.node, routed.now, routed.ttlMs) ?? null,
        );
  return {
    node: copy.node,
    health: copy.health,
    slots: copy.entry.slots ?? Number.POSITIVE_INFINITY,
    // The node's count includes what waits there for a sequence (`queued` is part of it).
    busy: inFlight,
    waitingAhead: waitingAhead?.get(copy.node) ?? 0,
    reuseTokens: reuse?.tokens ?? 0,
    reuseSource: reuse?.source ?? null,
    leftTokens: prefix === null ? null : leftAfter(prefix, reuse),
    prefillMsPerToken: copy.entry.prefillMsPerToken,
    preferred: copy.preferred,
  };
}

function leftAfter(prefix: RequestPrefix, reuse: { tokens: number; index: number } | null): number {
  if (reuse === null) return prefix.tokens;
  return prefix.leftTokens?.[reuse.index] ?? Math.max(0, prefix.tokens - reuse.tokens);
}

/**
 * The deepest element of `chain` the node holds (its report), or this gateway sent there (`routed`):
 * a match at element k means the node holds the prompt up to message k.
 */
export function deepestHeld(
  chain: readonly string[],
  held: ReadonlyMap<string, HeldPrefix> | null,
  routed: ((fp: string) => number | undefined) | null,
): { tokens: number; source: ReuseSource; index: number } | null {
  if (held === null && routed === null) return null;
  for (let i = chain.length - 1; i >= 0; i--) {
    const fp = chain[i] as string;
    const report = held?.get(fp);
    const sent = routed?.(fp);
    if (report !== undefined && (sent === undefined || report.tokens >= sent)) {
      return { tokens: report.tokens, source: report.where, index: i };
    }
    if (sent !== undefined) return { tokens: sent, source: "routed", index: i };
  }
  return null;
}
