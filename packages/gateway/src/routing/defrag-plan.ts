import { compareNumbers, compareText, humanBytes, spareMemory } from "./policy-terms.js";
import { compareVictimSets } from "./eviction-policy.js";
import type { EvictionStrategy, FleetSnapshot, NodeSnapshot, PlacementRequest } from "./fleet-snapshot.js";
import { coldSize } from "./is-cold.js";
import { fewestMovesFreeing, mostMovesPlaceable, type MoveSet, type PlannedMove } from "./move-sets.js";
import { placementCandidates } from "./placement-candidates.js";

/** Move a loaded model; the executor drains, loads on `to`, switches routing, then unloads from `from`. */
export interface DefragMove {
  readonly modelId: string;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

/**
 * Moves of cold models between up nodes that grow one node's free block. `pendingLarge` is a hint: the
 * fewest moves after which that model fits on some node without eviction. When it needs no room (it is
 * resident or fits already) or moves alone cannot make room, the plan consolidates instead: as many
 * moves off one node as the others can take, from the node whose free block then grows largest, and
 * none unless the fleet's largest block grows. Moves never evict: each lands where it fits as things
 * are, so no request is dropped.
 */
export function planDefrag(
  snapshot: FleetSnapshot,
  strategy: EvictionStrategy,
  pendingLarge?: PlacementRequest,
  extraHeadroom: number = pendingLarge?.extraHeadroom ?? 0,
): DefragMove[] {
  const up = snapshot.nodes.filter((node) => node.state === "up");
  const forPending =
    pendingLarge === undefined ? null : makeRoom(snapshot, up, strategy, { ...pendingLarge, extraHeadroom });
  return forPending ?? consolidate(up, strategy, extraHeadroom);
}

/** Moves that make the pending model fit; null when it needs none or moves cannot do it. */
function makeRoom(
  snapshot: FleetSnapshot,
  up: readonly NodeSnapshot[],
  strategy: EvictionStrategy,
  pending: PlacementRequest,
): DefragMove[] | null {
  const found = placementCandidates(snapshot, pending);
  if (!found.ok) return null;
  const present = found.candidates.some((c) => ["loaded", "loading", "converting"].includes(c.entry.state));
  if (present) return null;
  const targets = found.candidates.flatMap((c) =>
    c.node.state === "up" && c.need !== null ? [{ ...c, need: c.need }] : [],
  );
  if (targets.some((c) => c.spare >= c.need)) return null;

  const bySet = compareMoveSets(strategy);
  const options = targets.flatMap((target) => {
    const deficit = target.need - target.spare;
    const set = fewestMovesFreeing(target.node, up, pending.extraHeadroom, strategy, deficit, bySet);
    return set === null ? [] : [{ target, set }];
  });
  options.sort(
    (a, b) =>
      compareNumbers(Number(b.target.preferred), Number(a.target.preferred)) ||
      bySet(a.set, b.set) ||
      compareText(a.target.node.name, b.target.node.name),
  );
  const best = options[0];
  if (best === undefined) return null;
  const why = `so model ${pending.modelId} (${humanBytes(best.target.need)}) fits on ${best.target.node.name} without eviction`;
  return best.set.moves.map((move) => toDefragMove(move, best.target.node.name, why));
}

function consolidate(
  up: readonly NodeSnapshot[],
  strategy: EvictionStrategy,
  extraHeadroom: number,
): DefragMove[] {
  const before = Math.max(...up.map((node) => spareMemory(node, extraHeadroom)));
  const bySet = compareMoveSets(strategy);
  const options = up.flatMap((source) => {
    const set = mostMovesPlaceable(source, up, extraHeadroom, strategy);
    return set === null ? [] : [{ source: source.name, set, largest: Math.max(...set.spareAfter.values()) }];
  });
  options.sort(
    (a, b) => compareNumbers(b.largest, a.largest) || bySet(a.set, b.set) || compareText(a.source, b.source),
  );
  const best = options[0];
  if (best === undefined || best.largest <= before) return [];
  const why = `to grow the largest free block from ${humanBytes(Math.max(0, before))} to ${humanBytes(best.largest)} (on ${best.source})`;
  return best.set.moves.map((move) => toDefragMove(move, best.source, why));
}

/** Less work first: fewer moves, fewer bytes to load, colder models (by the strategy), then ids. */
function compareMoveSets(strategy: EvictionStrategy): (a: MoveSet, b: MoveSet) => number {
  const byColdness = compareVictimSets(strategy);
  const ids = (set: MoveSet): string => set.moves.map((move) => move.model.id).join(",");
  return (a, b) =>
    compareNumbers(a.moves.length, b.moves.length) ||
    compareNumbers(a.bytesMoved, b.bytesMoved) ||
    byColdness(
      a.moves.map((move) => move.model),
      b.moves.map((move) => move.model),
    ) ||
    compareText(ids(a), ids(b));
}

function toDefragMove(move: PlannedMove, from: string, why: string): DefragMove {
  const copy = move.cost === 0 ? ", where it is already loaded," : "";
  return {
    modelId: move.model.id,
    from,
    to: move.to,
    reason: `moving cold model ${move.model.id} (${humanBytes(coldSize(move.model))}) from ${from} to ${move.to}${copy} ${why}`,
  };
}
