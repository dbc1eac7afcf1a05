import type { LlamaContextSequence } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { DecodeGate } from "../../src/engine/llama-cpp/decode-gate.js";

interface Batch {
  sequenceId: number;
  tokens: number[];
}

/** Stands in for node-llama-cpp's LlamaContext: records which decodes started, finishes them on demand. */
function fakeContext(batchSize = 8) {
  const started: string[] = [];
  const running = new Map<string, () => void>();
  const context = {
    batchSize,
    _decodeTokens(batch: Batch): Promise<void> {
      const label = `${batch.sequenceId}×${batch.tokens.length}`;
      started.push(label);
      return new Promise<void>((resolve) => running.set(label, resolve));
    },
  };
  const gate = new DecodeGate(context);
  const decode = (sequenceId: number, tokens = 1): Promise<void> =>
    context._decodeTokens({ sequenceId, tokens: Array.from({ length: tokens }, () => 0) });
  const finish = (label: string): void => running.get(label)?.();
  return { gate, decode, finish, started };
}

const sequence = (id: number) => ({ _sequenceId: id }) as unknown as LlamaContextSequence;
const settle = () => new Promise((resolve) => setImmediate(resolve));

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe("DecodeGate", () => {
  it("passes every decode straight through while nothing is being prepared", async () => {
    const { decode, started } = fakeContext();
    void decode(1);
    void decode(2, 20);
    await settle();
    expect(started).toEqual(["1×1", "2×20"]);
  });

  it("holds other sequences' decodes while an erase waits, and lets them go when it is done", async () => {
    const { gate, decode, started } = fakeContext();
    const erase = deferred();
    const done = gate.exclusive(sequence(1), () => erase.promise);

    void decode(2);
    void decode(3);
    await settle();
    expect(started).toEqual([]);

    erase.resolve();
    await done;
    await settle();
    expect(started).toEqual(["2×1", "3×1"]);
  });

  it("lets the preparing sequence's own decode through, which ends the hold", async () => {
    const { gate, decode, started } = fakeContext();
    const erase = deferred();
    const done = gate.exclusive(sequence(1), () => erase.promise);

    void decode(2);
    await settle();
    void decode(1, 3);
    await settle();
    expect(started).toEqual(["1×3", "2×1"]);

    erase.resolve();
    await done;
  });

  it("holds nothing while another sequence's prompt longer than a batch is in flight", async () => {
    const { gate, decode, finish, started } = fakeContext(8);
    void decode(3, 100);
    const erase = deferred();
    const done = gate.exclusive(sequence(1), () => erase.promise);

    void decode(2);
    await settle();
    expect(started).toEqual(["3×100", "2×1"]);

    finish("3×100");
    await settle();
    void decode(2, 2);
    await settle();
    expect(started).toEqual(["3×100", "2×1"]);

    erase.resolve();
    await done;
    await settle();
    expect(started).toEqual(["3×100", "2×1", "2×2"]);
  });

  it("releases held decodes when the erase fails", async () => {
    const { gate, decode, started } = fakeContext();
    const erase = deferred();
    const done = gate.exclusive(sequence(1), () => erase.promise);
    void decode(2);
    await settle();

    erase.reject(new Error("erase failed"));
    await expect(done).rejects.toThrow("erase failed");
    await settle();
    expect(started).toEqual(["2×1"]);
  });

  it("refuses a context without the internal entry point it wraps", () => {
    expect(() => new DecodeGate({ batchSize: 8 })).toThrow(/_decodeTokens/);
  });
});
