import { compareNumbers, compareText, humanBytes } from "./policy-terms.js";
import { chooseVictims, compareVictimSets, victimReason } from "./eviction-policy.js";
import type { EvictionStrategy, FleetSnapshot, PlacementRequest } from "./fleet-snapshot.js";
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
      return { kind: "load", node: broken.node.name, evict: [], reason };
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
    return { kind: "load", node: loaded.node.name, evict: [], reason };
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
    return { kind: "load", node: fit.node.name, evict: [], reason };
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
  return { kind: "load", node: c.node.name, evict, reason };
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
