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
  const amounts = new Map<BatchItem, number>();
  let left = size;
  // Smallest demand first, so what one item cannot use goes to the others; among equal demands the
  // higher priority comes later and gets what flooring leaves over.
  const order = [...items].sort(
    (a, b) => a.tokens.length - b.tokens.length || a.evaluationPriority - b.evaluationPriority,
  );
  order.forEach((item, index) => {
    const amount = Math.min(item.tokens.length, Math.floor(left / (order.length - index)));
    amounts.set(item, amount);
    left -= amount;
  });
  return items
    .map((item) => ({ item, processAmount: amounts.get(item) ?? 0 }))
    .filter((prioritized) => prioritized.processAmount > 0);
}
