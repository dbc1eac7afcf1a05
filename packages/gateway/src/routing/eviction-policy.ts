import { compareNumbers, compareText } from "./policy-terms.js";
import type { EvictionStrategy, ModelOnNode } from "./fleet-snapshot.js";
import { humanAge } from "@cortex/core";
import { coldSize, isCold } from "./is-cold.js";

const lastUsedOrOldest = (model: ModelOnNode): number => model.lastUsed ?? Number.NEGATIVE_INFINITY;

/**
 * Orders models coldest first: the order in which the strategy gives them up. A surplus replica (the
 * model runs elsewhere beyond its `min`) goes before any model that would leave the fleet.
 */
export function compareColdness(strategy: EvictionStrategy): (a: ModelOnNode, b: ModelOnNode) => number {
  const bySurplus = (a: ModelOnNode, b: ModelOnNode): number =>
    compareNumbers(Number(b.surplus), Number(a.surplus));
  const byUse = (a: ModelOnNode, b: ModelOnNode): number =>
    compareNumbers(lastUsedOrOldest(a), lastUsedOrOldest(b));
  const byPriority = (a: ModelOnNode, b: ModelOnNode): number => compareNumbers(a.priority, b.priority);
  const [first, second] = strategy === "lru" ? [byUse, byPriority] : [byPriority, byUse];
  return (a, b) => bySurplus(a, b) || first(a, b) || second(a, b) || compareText(a.id, b.id);
}

/**
 * The cold models on one node to evict so `deficit` bytes come free, or null when even all of them would
 * not do. Takes models in strategy order until enough is freed, then drops earlier picks that the later,
 * larger ones made unnecessary (hottest first), so every victim is needed and colder ones go first.
 */
export function chooseVictims(
  models: readonly ModelOnNode[],
  deficit: number,
  strategy: EvictionStrategy,
): ModelOnNode[] | null {
  const chosen: ModelOnNode[] = [];
  let freed = 0;
  for (const model of models.filter(isCold).sort(compareColdness(strategy))) {
    if (freed >= deficit) break;
    chosen.push(model);
    freed += coldSize(model);
  }
  if (freed < deficit) return null;
  for (let i = chosen.length - 2; i >= 0; i--) {
    const size = coldSize(chosen[i] as ModelOnNode);
    if (freed - size >= deficit) {
      chosen.splice(i, 1);
      freed -= size;
    }
  }
  return chosen;
}

/** Compares two victim sets: the one whose loss hurts less (by the strategy) sorts first. */
export function compareVictimSets(
  strategy: EvictionStrategy,
): (a: readonly ModelOnNode[], b: readonly ModelOnNode[]) => number {
  const totalPriority = (set: readonly ModelOnNode[]): number => set.reduce((sum, m) => sum + m.priority, 0);
  const newestUse = (set: readonly ModelOnNode[]): number =>
    set.reduce((newest, m) => Math.max(newest, lastUsedOrOldest(m)), Number.NEGATIVE_INFINITY);
  const byUse = (a: readonly ModelOnNode[], b: readonly ModelOnNode[]): number =>
    compareNumbers(newestUse(a), newestUse(b));
  const byPriority = (a: readonly ModelOnNode[], b: readonly ModelOnNode[]): number =>
    compareNumbers(totalPriority(a), totalPriority(b));
  const [first, second] = strategy === "lru" ? [byUse, byPriority] : [byPriority, byUse];
  return (a, b) => first(a, b) || second(a, b);
}

/** Why this model was picked, e.g. "lru: last used 12m ago". */
export function victimReason(model: ModelOnNode, strategy: EvictionStrategy, now: number): string {
  const use = model.lastUsed === null ? "never used" : `last used ${humanAge(now - model.lastUsed)} ago`;
  return strategy === "lru" ? `lru: ${use}` : `priority: priority ${model.priority}, ${use}`;
}
