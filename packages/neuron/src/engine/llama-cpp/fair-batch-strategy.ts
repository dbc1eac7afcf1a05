import type { BatchItem, PrioritizedBatchItem } from "node-llama-cpp";

/**
 * Shares each decode batch between the sequences that have tokens queued.
 *
 * node-llama-cpp 3.21.1's default ("maximumParallelism") can give one item far more than the batch holds
 * (its extra passes never subtract what they handed out), and the batch is then filled in queue order, so
 * while one sequence's long prompt was evaluated a sequence generating one token at a time was left out
 * of every batch: its stream froze for the whole prompt. Here the smallest demands are met first (a
 * generating sequence needs one token), the rest is split evenly, and the total never exceeds `size`.
 */
export function fairBatchStrategy({
  items,
  size,
}: {
  items: readonly BatchItem[];
  size: number;
}): PrioritizedBatchItem[] {
  const shares = shareBatch(
    items.map((item) => item.tokens.length),
    size,
    items.map((item) => item.evaluationPriority),
  );
  return items
    .map((item, index) => ({ item, processAmount: shares[index] ?? 0 }))
    .filter((prioritized) => prioritized.processAmount > 0);
}

/**
 * How many of its queued tokens each demand gets in one batch of `size`: the smallest demands are met
 * first (a generating sequence needs one token), the rest is split evenly, the total never exceeds
 * `size`. Among equal demands the higher priority comes later and gets what flooring leaves over. The
 * fake engine's timing model shares its prompt evaluation the same way.
 */
export function shareBatch(
  demands: readonly number[],
  size: number,
  priorities: readonly number[] = [],
): number[] {
  const shares = demands.map(() => 0);
  let left = size;
  const order = demands
    .map((_, index) => index)
    .sort(
      (a, b) =>
        (demands[a] as number) - (demands[b] as number) || (priorities[a] ?? 0) - (priorities[b] ?? 0),
    );
  order.forEach((index, rank) => {
    const amount = Math.min(demands[index] as number, Math.floor(left / (order.length - rank)));
    shares[index] = amount;
    left -= amount;
  });
  return shares;
}
