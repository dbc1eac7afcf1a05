import { compareColdness } from "./eviction-policy.js";
import { compareNumbers, compareText, spareMemory } from "./policy-terms.js";
import type { EvictionStrategy, ModelOnNode, NodeSnapshot } from "./fleet-snapshot.js";
import { coldSize, isCold } from "./is-cold.js";

export interface PlannedMove {
  readonly model: ModelOnNode;
  readonly to: string;
  /** Bytes the copy takes on `to`: 0 when the model is already loaded there. */
  readonly cost: number;
}

export interface MoveSet {
  readonly moves: readonly PlannedMove[];
  /** Bytes given back on the source once the old copies unload. */
  readonly freed: number;
  /** Bytes newly loaded on destinations: the work the executor will do. */
  readonly bytesMoved: number;
  /** Spare memory of every node (source included) after the moves. */
  readonly spareAfter: ReadonlyMap<string, number>;
}

/** Subsets grow as 2^n; beyond this many cold models on one node only the coldest are considered. */
const MAX_MOVABLE = 12;

interface Destination {
  readonly node: string;
  readonly cost: number;
}

interface Movable {
  readonly model: ModelOnNode;
  readonly destinations: readonly Destination[];
}

/**
 * The sets with the fewest moves that free at least `deficit` bytes on `source`, every model landing on
 * another up node without evicting anything there; the best by `compare`, or null when none does.
 */
export function fewestMovesFreeing(
  source: NodeSnapshot,
  nodes: readonly NodeSnapshot[],
  extraHeadroom: number,
  strategy: EvictionStrategy,
  deficit: number,
  compare: (a: MoveSet, b: MoveSet) => number,
): MoveSet | null {
  const movable = movableModels(source, nodes, strategy);
  const initial = initialSpare(nodes, extraHeadroom);
  for (let size = 1; size <= movable.length; size++) {
    let best: MoveSet | null = null;
    for (const subset of combinations(movable, size)) {
      if (subset.reduce((sum, m) => sum + coldSize(m.model), 0) < deficit) continue;
      const set = placeMoves(source, subset, initial);
      if (set !== null && (best === null || compare(set, best) < 0)) best = set;
    }
    if (best !== null) return best;
  }
  return null;
}

/**
 * As many cold models off `source` as other up nodes can take without eviction, biggest first: what
 * empties the node furthest. Greedy rather than exhaustive, so a fleet-wide pass stays cheap.
 */
export function mostMovesPlaceable(
  source: NodeSnapshot,
  nodes: readonly NodeSnapshot[],
  extraHeadroom: number,
  strategy: EvictionStrategy,
): MoveSet | null {
  return placeMoves(
    source,
    movableModels(source, nodes, strategy),
    initialSpare(nodes, extraHeadroom),
    "skip",
  );
}

/** Cold models with somewhere to go, biggest first so best-fit packs them well. */
function movableModels(
  source: NodeSnapshot,
  nodes: readonly NodeSnapshot[],
  strategy: EvictionStrategy,
): Movable[] {
  return source.models
    .filter(isCold)
    .sort(compareColdness(strategy))
    .slice(0, MAX_MOVABLE)
    .map((model) => ({ model, destinations: destinationsFor(model, source, nodes) }))
    .filter(({ destinations }) => destinations.length > 0)
    .sort(
      (a, b) => compareNumbers(coldSize(b.model), coldSize(a.model)) || compareText(a.model.id, b.model.id),
    );
}

function initialSpare(nodes: readonly NodeSnapshot[], extraHeadroom: number): Map<string, number> {
  return new Map(nodes.map((node) => [node.name, spareMemory(node, extraHeadroom)]));
}

/** Best-fit for each model in order; a model with nowhere left to go fails the set, or is skipped. */
function placeMoves(
  source: NodeSnapshot,
  subset: readonly Movable[],
  initial: ReadonlyMap<string, number>,
  unplaceable: "fail" | "skip" = "fail",
): MoveSet | null {
  const spare = new Map(initial);
  const moves: PlannedMove[] = [];
  for (const { model, destinations } of subset) {
    const fit = bestFit(destinations, spare);
    if (fit === undefined) {
      if (unplaceable === "fail") return null;
      continue;
    }
    spare.set(fit.node, (spare.get(fit.node) ?? 0) - fit.cost);
    moves.push({ model, to: fit.node, cost: fit.cost });
  }
  if (moves.length === 0) return null;
  const freed = moves.reduce((sum, move) => sum + coldSize(move.model), 0);
  spare.set(source.name, (spare.get(source.name) ?? 0) + freed);
  const bytesMoved = moves.reduce((sum, move) => sum + move.cost, 0);
  return { moves, freed, bytesMoved, spareAfter: spare };
}

function destinationsFor(
  model: ModelOnNode,
  source: NodeSnapshot,
  nodes: readonly NodeSnapshot[],
): Destination[] {
  return nodes.flatMap((node) => {
    if (node.name === source.name || node.state !== "up") return [];
    const entry = node.models.find((m) => m.id === model.id);
    if (entry === undefined || !entry.allowed) return [];
    if (entry.state === "loaded") return [{ node: node.name, cost: 0 }];
    // A copy that failed there before, or is mid-transition, is no place to move to.
    if (entry.state !== "unloaded") return [];
    return [{ node: node.name, cost: entry.memoryEstimate ?? coldSize(model) }];
  });
}

/** An existing copy first, then the tightest fit (keeps large blocks elsewhere whole), then name. */
function bestFit(
  destinations: readonly Destination[],
  spare: ReadonlyMap<string, number>,
): Destination | undefined {
  let best: { destination: Destination; left: number } | undefined;
  for (const destination of destinations) {
    const left = (spare.get(destination.node) ?? 0) - destination.cost;
    if (destination.cost > 0 && left < 0) continue;
    const order =
      best === undefined
        ? -1
        : compareNumbers(destination.cost, best.destination.cost) ||
          compareNumbers(left, best.left) ||
          compareText(destination.node, best.destination.node);
    if (order < 0) best = { destination, left };
  }
  return best?.destination;
}

/** Index combinations of `size` items, in lexicographic order. */
function* combinations<T>(items: readonly T[], size: number, start = 0): Generator<T[]> {
  if (size === 0) {
    yield [];
    return;
  }
  for (let i = start; i <= items.length - size; i++) {
    for (const rest of combinations(items, size - 1, i + 1)) yield [items[i] as T, ...rest];
  }
}
