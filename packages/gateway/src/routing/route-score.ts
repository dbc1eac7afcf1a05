import { SHORT_PROMPT_TOKENS, type RoutingPolicy } from "@cortex/core";
import { compareNumbers, compareText } from "./policy-terms.js";

/**
 * Which node serves a request among those with its model loaded: a pure function of what each node
 * holds of the request's prompt and how loaded it is. The `prefix` policy charges every node the time
 * the request would spend there before its first token, relative to the best-placed node:
 *
 *   cost(n) = wait(n) + prefill(n) × (deepest reuse anywhere − reuse(n)) × (restore share) + contention(n)
 *
 * so a session stays on the node holding its prefix until the wait there costs more than evaluating the
 * prefix again elsewhere; then it moves, and the caller logs why (`describeMove`).
 */

/** Where a node holds the request's prefix: in a sequence, in its KV tier, or routed there recently. */
export type ReuseSource = "sequence" | "ram" | "disk" | "routed";

export interface RouteCandidate {
  readonly node: string;
  readonly health: "up" | "degraded";
  /** Sequences the model has on the node; Infinity when the node does not say (it queues for itself). */
  readonly slots: number;
  /** Requests holding or waiting for a sequence there (the node's count, or this gateway's if fresher). */
  readonly busy: number;
  /** Requests in this gateway's queue already waiting for this node, ahead of this one. */
  readonly waitingAhead: number;
  /** Prompt tokens of this request the node holds (0: none known) and where. */
  readonly reuseTokens: number;
  readonly reuseSource: ReuseSource | null;
  /** Prompt tokens the request would evaluate there (estimated); null when its prompt is not known. */
  readonly leftTokens: number | null;
  /** Prompt evaluation speed of the model there, ms per token; null when the node has not measured it. */
  readonly prefillMsPerToken: number | null;
  readonly preferred: boolean;
}

export interface RouteCosts {
  /** How long a request typically holds a sequence of this model (ms). */
  readonly serviceMs: number;
  /** Prompt evaluation ms per token where a node has no measurement. */
  readonly prefillMsPerToken: number;
}

export interface ScoredCandidate {
  readonly candidate: RouteCandidate;
  readonly free: boolean;
  /**
   * No free sequence, but the request is short there (the node holds its prefix, little is left to
   * evaluate) and the node has room for one such request per sequence: the neuron serves it ahead of
   * long prompts, so it goes now instead of waiting here.
   */
  readonly jumps: boolean;
  /** Expected wait for a sequence (ms). */
  readonly waitMs: number;
  /** Expected prompt evaluation beyond the best-placed node's (ms). */
  readonly recomputeMs: number;
  readonly costMs: number;
}

export interface RouteChoice {
  /** The node the request should go to; null: wait for whichever node frees a sequence first. */
  readonly node: string | null;
  /** True: send it now (the node has a free sequence, or the request jumps its queue); false: keep it queued. */
  readonly dispatch: boolean;
  /** Every candidate with its costs, cheapest first (for the decision log). */
  readonly scored: readonly ScoredCandidate[];
}

/**
 * Restoring a saved state costs a small share of evaluating its tokens (on the project's test box
 * 20k tokens restore in ≈ 20 ms from RAM against ≈ 6 s of prefill; disk is slower), so a prefix in the
 * KV tier is worth nearly as much as one in a sequence. `routed` is this gateway's own memory of where it
 * sent the conversation recently, not yet in the node's report: as good as a sequence while it is fresh.
 */
const RESTORE_SHARE: Readonly<Record<ReuseSource, number>> = {
  sequence: 0,
  routed: 0,
  ram: 0.02,
  disk: 0.1,
};

/**
 * Each request in flight on a node slows the others a little (they share its batches); charged as this
 * share of a request's service time per busy sequence, so equal prefixes go to the less busy node and a
 * prefix only wins over a much less loaded node when it is worth more than that.
 */
export const CONTENTION_SHARE = 0.1;

/**
 * Chooses among `candidates` (nodes with the model loaded, none excluded). Up nodes are always preferred
 * to degraded ones, as before. `random` is injected so tests and the bench can seed it.
 */
export function chooseRoute(
  policy: RoutingPolicy,
  candidates: readonly RouteCandidate[],
  costs: RouteCosts,
  random: () => number = Math.random,
): RouteChoice | null {
  const only = candidates.length === 1 ? (candidates[0] as RouteCandidate) : undefined;
  if (only !== undefined) {
    // Nothing to choose (most requests: one copy): no sort, no random draw. It goes there now if a
    // sequence is free, or (`prefix`) if it is short there; else `prefix` queues it for that node, the
    // others for any.
    const prefix = policy === "prefix";
    const scored = scoreCandidates(candidates, costs, prefix);
    const { free, jumps } = scored[0] as ScoredCandidate;
    const node = free || prefix ? only.node : null;
    return { node, dispatch: free || jumps, scored };
  }
  const up = candidates.filter((candidate) => candidate.health === "up");
  const pool = up.length > 0 ? up : candidates;
  if (pool.length === 0) return null;
  const scored = scoreCandidates(pool, costs, policy === "prefix");
  const free = scored.filter((entry) => entry.free);
  switch (policy) {
    case "prefix": {
      const best = scored[0] as ScoredCandidate;
      return { node: best.candidate.node, dispatch: best.free || best.jumps, scored };
    }
    case "least-busy": {
      const best = free[0];
      return best
        ? { node: best.candidate.node, dispatch: true, scored }
        : { node: null, dispatch: false, scored };
    }
    case "random": {
      if (free.length === 0) return { node: null, dispatch: false, scored };
      const index = Math.min(free.length - 1, Math.floor(random() * free.length));
      return { node: (free[index] as ScoredCandidate).candidate.node, dispatch: true, scored };
    }
    default:
      return policy satisfies never;
  }
}

/**
 * Costs of every candidate, cheapest first. Without prefix scoring only the wait and the load count,
 * which orders free nodes the way routing always did: least busy, then preferred, then by name.
 */
export function scoreCandidates(
  candidates: readonly RouteCandidate[],
  costs: RouteCosts,
  withPrefix: boolean,
): ScoredCandidate[] {
  const deepest = withPrefix ? Math.max(0, ...candidates.map(effectiveReuse)) : 0;
  const scored = candidates.map((candidate): ScoredCandidate => {
    const load = candidate.busy + candidate.waitingAhead;
    const free = load < candidate.slots;
    const jumps = !free && withPrefix && isShort(candidate) && load < 2 * candidate.slots;
    const perSlotMs = Number.isFinite(candidate.slots) ? costs.serviceMs / candidate.slots : 0;
    // Requests ahead of this one (holding sequences beyond the node's count, or queued for it) each
    // free a sequence after about a service time divided by the sequences. Charged to a short request
    // too: the node lets it go first only when a sequence is evaluating a prompt (one that is generating
    // does not yield), so moving still happens when waiting costs more than recomputing elsewhere.
    const ahead = load - candidate.slots + 1;
    const waitMs = free ? 0 : ahead * perSlotMs;
    const prefill = candidate.prefillMsPerToken ?? costs.prefillMsPerToken;
    // Prompt evaluation on a node is serialized with the prompts of the requests it already runs
    // (llama.cpp evaluates one batch at a time), so recomputing on a busy node costs more.
    const sharing = 1 + Math.min(candidate.busy, candidate.slots);
    const recomputeMs = withPrefix ? (deepest - effectiveReuse(candidate)) * prefill * sharing : 0;
    // A node that does not say how many sequences it has queues for itself: every request it holds
    // counts as contention, so a busy holder of the prefix still loses to an idle node in the end.
    const contentionMs =
      (Number.isFinite(candidate.slots)
        ? Math.min(candidate.busy, candidate.slots) * perSlotMs
        : candidate.busy * costs.serviceMs) * CONTENTION_SHARE;
    return { candidate, free, jumps, waitMs, recomputeMs, costMs: waitMs + recomputeMs + contentionMs };
  });
  return scored.sort(
    (a, b) =>
      compareNumbers(a.costMs, b.costMs) ||
      compareNumbers(Number(b.free), Number(a.free)) ||
      compareNumbers(a.candidate.busy, b.candidate.busy) ||
      compareNumbers(Number(b.candidate.preferred), Number(a.candidate.preferred)) ||
      compareText(a.candidate.node, b.candidate.node),
  );
}

/**
 * A conversation prefix worth jumping a queue for: a returning agent turn (thousands of tokens held).
 * A small prompt gains little from it (its wait is for a sequence, not for its prefix), and gateway
 * priorities and fairness keep holding it.
 */
export const JUMP_MIN_REUSE_TOKENS = 1024;

/** The node holds a long prefix of the request and little of the prompt is left to evaluate there. */
function isShort(candidate: RouteCandidate): boolean {
  return (
    candidate.reuseSource !== null &&
    candidate.reuseTokens >= JUMP_MIN_REUSE_TOKENS &&
    candidate.leftTokens !== null &&
    candidate.leftTokens <= SHORT_PROMPT_TOKENS &&
    Number.isFinite(candidate.slots)
  );
}

/** The tokens a node spares the request, net of what restoring them from its KV tier costs. */
function effectiveReuse(candidate: RouteCandidate): number {
  if (candidate.reuseSource === null) return 0;
  return candidate.reuseTokens * (1 - RESTORE_SHARE[candidate.reuseSource]);
}

/**
 * Why a request went where it went, for the metrics and the response's `x-cortex-route` header:
 * `stick` to the node holding the deepest prefix, `moved` away from it (that node was loaded: see
 * `describeMove`), `no_prefix` when no candidate holds any of the prompt (or it has no identity),
 * `load` when the policy ignores prefixes, `single` when there was one candidate.
 */
export type RouteReason = "stick" | "moved" | "no_prefix" | "load" | "single";

export function routeReason(policy: RoutingPolicy, choice: RouteChoice): RouteReason {
  if (choice.scored.length <= 1) return "single";
  if (policy !== "prefix") return "load";
  const chosen = choice.scored.find((entry) => entry.candidate.node === choice.node);
  const deepest = Math.max(0, ...choice.scored.map((entry) => effectiveReuse(entry.candidate)));
  if (deepest === 0 || chosen === undefined) return "no_prefix";
  return effectiveReuse(chosen.candidate) >= deepest ? "stick" : "moved";
}

/**
 * When the chosen node holds less of the prompt than another candidate: one line saying where the
 * prefix is, what waiting there would cost and what recomputing costs instead. Null when the request
 * goes where its prefix is (or nobody holds one), which is not worth a log line.
 */
export function describeMove(choice: RouteChoice): string | null {
  if (choice.scored.length <= 1) return null;
  const chosen = choice.scored.find((entry) => entry.candidate.node === choice.node);
  if (!chosen) return null;
  const holder = [...choice.scored].sort((a, b) =>
    compareNumbers(effectiveReuse(b.candidate), effectiveReuse(a.candidate)),
  )[0];
  if (!holder || holder === chosen) return null;
  const lost = holder.candidate.reuseTokens - chosen.candidate.reuseTokens;
  if (lost <= 0) return null;
  return (
    `left ${holder.candidate.node}, which holds ${holder.candidate.reuseTokens} tokens of the prompt ` +
    `(${holder.candidate.reuseSource}): waiting there ~${ms(holder.waitMs)} ` +
    `(${holder.candidate.busy} busy of ${holder.candidate.slots} sequences, ${holder.candidate.waitingAhead} queued) ` +
    `costs more than recomputing ${lost} tokens on ${chosen.candidate.node} ~${ms(chosen.recomputeMs)}`
  );
}

function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(0)} s` : `${Math.round(value)} ms`;
}
