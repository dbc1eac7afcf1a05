import { compareNumbers, compareText, humanBytes } from "./policy-terms.js";
import { chooseVictims, compareVictimSets, victimReason } from "./eviction-policy.js";
import type { EvictionStrategy, FleetSnapshot, ModelOnNode, PlacementRequest } from "./fleet-snapshot.js";
import { coldSize, isCold } from "./is-cold.js";
import { placementCandidates, type PlacementCandidate } from "./placement-candidates.js";

export interface Eviction {
  readonly node: string;
  readonly modelId: string;
  /** e.g. "lru: last used 12m ago". */
  readonly reason: string;
}

export type PlacementPlan =
  /** Load on `node` after evicting `evict` there (maybe none). Also returned, with no evictions, when the
   * model is already loaded on an eligible node: loads are idempotent on the neuron. */
  | {
      readonly kind: "load";
      readonly node: string;
      readonly evict: readonly Eviction[];
      /** Bytes the model takes there (its profile's size, else the node's estimate; 0 when unknown). */
      readonly need: number;
      readonly reason: string;
    }
  /** The model is already loading or converting on `node`: wait for that load instead of starting one. */
  | { readonly kind: "wait"; readonly node: string; readonly reason: string }
  /** Nothing fits even after evicting everything evictable. */
  | {
      readonly kind: "no_fit";
      readonly needed: number;
      readonly largestFree: number;
      readonly reason: string;
    };

type SizedCandidate = PlacementCandidate & { readonly need: number };

/**
 * Where to load `request.modelId`. Up nodes first, degraded ones only when no up node can take it; on a
 * tier, a node where it fits as things are beats any node that needs evictions.
 */
export function planPlacement(
  snapshot: FleetSnapshot,
  request: PlacementRequest,
  strategy: EvictionStrategy,
): PlacementPlan {
  const id = request.modelId;
  const found = placementCandidates(snapshot, request);
  if (!found.ok) {
    return { kind: "no_fit", needed: request.requiredMemory ?? 0, largestFree: 0, reason: found.reason };
  }

  const existing = planForExistingCopy(found.candidates);
  if (existing !== null) return existing;

  const sized = found.candidates.filter((c): c is SizedCandidate => c.need !== null);
  if (sized.length === 0) {
    // A model a node cannot read (a truncated or broken file) is listed as failed, without an estimate:
    // its load is refused at once with the reason, which is what the client should hear.
    const broken = found.candidates.find((c) => c.entry.state === "failed");
    if (broken !== undefined) {
      const reason = `model ${id} is failed on ${broken.node.name}; its load says why`;
      return { kind: "load", node: broken.node.name, evict: [], need: broken.need ?? 0, reason };
    }
    const where = found.candidates.map((c) => c.node.name).join(", ");
    const reason = `model ${id} has no memory estimate on ${where} and no size in its profile`;
    return { kind: "no_fit", needed: 0, largestFree: 0, reason };
  }

  const onUp = planOnTier(
    sized.filter((c) => c.node.state === "up"),
    strategy,
    snapshot.at,
  );
  if (onUp !== null) return onUp;
  const onDegraded = planOnTier(
    sized.filter((c) => c.node.state === "degraded"),
    strategy,
    snapshot.at,
  );
  if (onDegraded !== null)
    return { ...onDegraded, reason: `${onDegraded.reason} (degraded: no up node can take it)` };
  return noFit(sized, id);
}

/** Up before degraded, then preferred, then name: the order to pick among existing copies. */
function compareExisting(a: PlacementCandidate, b: PlacementCandidate): number {
  const health = (c: PlacementCandidate): number => (c.node.state === "up" ? 0 : 1);
  return (
    compareNumbers(health(a), health(b)) ||
    compareNumbers(Number(b.preferred), Number(a.preferred)) ||
    compareText(a.node.name, b.node.name)
  );
}

function planForExistingCopy(candidates: readonly PlacementCandidate[]): PlacementPlan | null {
  const ordered = [...candidates].sort(compareExisting);
  const loaded = ordered.find((c) => c.entry.state === "loaded");
  if (loaded !== undefined) {
    const reason = `model ${loaded.entry.id} is already loaded on ${loaded.node.name}`;
    return { kind: "load", node: loaded.node.name, evict: [], need: loaded.need ?? 0, reason };
  }
  // One cold load per model: a second load elsewhere would race the first for memory.
  const loading = ordered.find((c) => c.entry.state === "loading" || c.entry.state === "converting");
  if (loading !== undefined) {
    const reason = `model ${loading.entry.id} is already ${loading.entry.state} on ${loading.node.name}; waiting for it`;
    return { kind: "wait", node: loading.node.name, reason };
  }
  return null;
}

function planOnTier(
  candidates: readonly SizedCandidate[],
  strategy: EvictionStrategy,
  now: number,
): PlacementPlan | null {
  const fitting = candidates
    .filter((c) => c.spare >= c.need)
    .sort(
      (a, b) =>
        compareNumbers(Number(b.preferred), Number(a.preferred)) ||
        compareNumbers(b.spare, a.spare) ||
        compareText(a.node.name, b.node.name),
    );
  const fit = fitting[0];
  if (fit !== undefined) {
    const reason =
      `model ${fit.entry.id} fits on ${fit.node.name}${fit.preferred ? " (preferred)" : ""}: ` +
      `${humanBytes(fit.spare)} free after headroom, needs ${humanBytes(fit.need)}`;
    return { kind: "load", node: fit.node.name, evict: [], need: fit.need, reason };
  }

  const byVictims = compareVictimSets(strategy);
  const options = candidates
    .flatMap((c) => {
      const others = c.node.models.filter((m) => m.id !== c.entry.id);
      const victims = chooseVictims(others, c.need - c.spare, strategy);
      return victims === null ? [] : [{ candidate: c, victims }];
    })
    .sort(
      (a, b) =>
        compareNumbers(Number(b.candidate.preferred), Number(a.candidate.preferred)) ||
        compareNumbers(a.victims.length, b.victims.length) ||
        byVictims(a.victims, b.victims) ||
        compareText(a.candidate.node.name, b.candidate.node.name),
    );
  const best = options[0];
  if (best === undefined) return null;
  const { candidate: c, victims } = best;
  const evict = victims.map((m) => ({
    node: c.node.name,
    modelId: m.id,
    reason: victimReason(m, strategy, now),
  }));
  const freed = victims.reduce((sum, m) => sum + coldSize(m), 0);
  const reason =
    `evicting ${victims.length} cold model${victims.length === 1 ? "" : "s"} (${victims.map((m) => m.id).join(", ")}) ` +
    `on ${c.node.name}${c.preferred ? " (preferred)" : ""} frees ${humanBytes(freed)} for model ${c.entry.id} ` +
    `(needs ${humanBytes(c.need)}, ${humanBytes(Math.max(0, c.spare))} free)`;
  return { kind: "load", node: c.node.name, evict, need: c.need, reason };
}

function noFit(candidates: readonly SizedCandidate[], id: string): PlacementPlan {
  const spaces = candidates
    .map((c) => {
      const evictable = c.node.models
        .filter((m) => m.id !== id && isCold(m))
        .reduce((sum, m) => sum + coldSize(m), 0);
      return { c, evictable, space: c.spare + evictable };
    })
    .sort(
      (a, b) =>
        compareNumbers(b.space, a.space) ||
        compareNumbers(a.c.need, b.c.need) ||
        compareText(a.c.node.name, b.c.node.name),
    );
  // Non-empty: the caller only gets here with at least one sized candidate.
  const { c, evictable, space } = spaces[0] as (typeof spaces)[number];
  const largestFree = Math.max(0, space);
  const reason =
    `model ${id} needs ${humanBytes(c.need)}; the largest space any node could free is ${humanBytes(largestFree)} ` +
    `(node ${c.node.name}: ${humanBytes(Math.max(0, c.spare))} free + ${humanBytes(evictable)} evictable)`;
  return { kind: "no_fit", needed: c.need, largestFree, reason };
}

/** A load that can happen once busy models are served: on `node`, after `busy` have gone idle. */
export interface SwapPlan {
  readonly node: string;
  /** The models whose requests (in flight, queued on the node or in the gateway) go first. */
  readonly busy: readonly string[];
  readonly reason: string;
}

const requestsOf = (model: ModelOnNode): number => model.inFlight + model.waiting;

/** Models whose memory comes back once their requests are served or their transition ends. */
function swappable(model: ModelOnNode, id: string): boolean {
  return (
    model.id !== id &&
    !model.pinned &&
    model.memoryEstimate !== null &&
    (model.state === "loaded" || model.state === "loading" || model.state === "unloading")
  );
}

/**
 * When `planPlacement` finds no fit: the node where the model would fit once the busy models there are
 * served and go cold (pinned ones never go), or null when none would. The scheduler then holds the
 * model's requests until that swap can happen, instead of failing them: what is loaded, and the
 * requests queued for it, are served first, and the next model's requests go as one group after one
 * swap (swap-thrash guard, docs/decisions.md). Of several such nodes, the one with the fewest requests
 * to serve first; up before degraded, preferred before not.
 */
export function planSwap(snapshot: FleetSnapshot, request: PlacementRequest): SwapPlan | null {
  const id = request.modelId;
  const found = placementCandidates(snapshot, request);
  if (!found.ok) return null;
  const options = found.candidates.flatMap((c) => {
    if (c.need === null) return [];
    const others = c.node.models.filter((m) => swappable(m, id));
    // A copy of the model itself being evicted gives its memory back too (a request for it arriving
    // while it is swapped out waits to swap it back in, instead of failing).
    const own = c.entry.state === "unloading" ? (c.entry.memoryEstimate ?? 0) : 0;
    let free = c.spare + own + others.filter(isCold).reduce((sum, m) => sum + coldSize(m), 0);
    const busy: ModelOnNode[] = [];
    // The least busy first: the fewer requests ahead, the sooner the swap.
    const waitFor = others
      .filter((m) => !isCold(m))
      .sort((a, b) => compareNumbers(requestsOf(a), requestsOf(b)) || compareText(a.id, b.id));
    for (const model of waitFor) {
      if (free >= c.need) break;
      busy.push(model);
      free += model.memoryEstimate ?? 0;
    }
    if (free < c.need || busy.length === 0) return [];
    return [{ c, busy, ahead: busy.reduce((sum, m) => sum + requestsOf(m), 0) }];
  });
  const best = options.sort(
    (a, b) =>
      compareNumbers(Number(a.c.node.state !== "up"), Number(b.c.node.state !== "up")) ||
      compareNumbers(Number(b.c.preferred), Number(a.c.preferred)) ||
      compareNumbers(a.ahead, b.ahead) ||
      compareText(a.c.node.name, b.c.node.name),
  )[0];
  if (best === undefined) return null;
  const { c, busy } = best;
  const names = busy.map((m) => m.id).join(", ");
  const load = busy
    .map(
      (m) => `${m.id}: ${m.state === "loaded" ? `${m.inFlight} in flight, ${m.waiting} waiting` : m.state}`,
    )
    .join("; ");
  const reason =
    `${id} waits for ${names} on ${c.node.name} to be served first (${load}); it needs ` +
    `${humanBytes(c.need ?? 0)} there, ${humanBytes(Math.max(0, c.spare))} free, and loads once ` +
    `${busy.length === 1 ? "it is" : "they are"} idle (serve what is loaded before swapping)`;
  return { node: c.node.name, busy: busy.map((m) => m.id), reason };
}
