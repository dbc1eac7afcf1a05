import type { BatchItem, EvaluationPriority, Token } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { fairBatchStrategy } from "../../src/engine/llama-cpp/fair-batch-strategy.js";

const item = (tokens: number, evaluationPriority: EvaluationPriority = 5): BatchItem => ({
  tokens: Array.from({ length: tokens }, () => 0 as Token),
  logits: [],
  evaluationPriority,
});

const amounts = (items: BatchItem[], size: number) => {
  const result = fairBatchStrategy({ items, size });
  return items.map(
    (candidate) => result.find((prioritized) => prioritized.item === candidate)?.processAmount ?? 0,
  );
};

describe("fairBatchStrategy", () => {
  it("keeps a generating sequence in the batch while a long prompt queued before it is evaluated", () => {
    // node-llama-cpp's maximumParallelism answers [1276, 1] here, and the batch then holds the prompt only.
    expect(amounts([item(1583), item(1)], 512)).toEqual([511, 1]);
  });

  it("splits what is left evenly between long demands, smallest demands met first", () => {
    expect(amounts([item(1000), item(3), item(1000), item(1)], 512)).toEqual([254, 3, 254, 1]);
  });

  it("gives what flooring leaves over to the higher priorities", () => {
    expect(amounts([item(1000, 5), item(1000, 1), item(1000, 3)], 512)).toEqual([171, 170, 171]);
  });

  it("takes everything when it all fits, and leaves out nothing", () => {
    expect(amounts([item(100), item(7), item(1)], 512)).toEqual([100, 7, 1]);
  });

  it("never hands out more than the batch holds and gives every item a token when it can", () => {
    let seed = 7;
    const random = (limit: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return 1 + (seed % limit);
    };
    for (let round = 0; round < 500; round++) {
      const size = 8 + random(600);
      const items = Array.from({ length: random(8) }, () =>
        item(random(random(2) === 1 ? 3 : 3000), random(5) as EvaluationPriority),
      );
      const given = amounts(items, size);
      const total = given.reduce((sum, amount) => sum + amount, 0);
      const demand = items.reduce((sum, candidate) => sum + candidate.tokens.length, 0);
      expect(total).toBe(Math.min(size, demand));
      given.forEach((amount, index) => {
        expect(amount).toBeGreaterThanOrEqual(1);
        expect(amount).toBeLessThanOrEqual(items[index]?.tokens.length ?? 0);
      });
    }
  });
});
