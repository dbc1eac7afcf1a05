import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNeuron, type TestNeuron } from "./neuron-harness.js";

let neuron: TestNeuron;

beforeAll(async () => {
  neuron = await startTestNeuron({
    models: { llama: { arch: "llama", quant: "f16" } },
    config: "context_size = 2048\nparallel = 4\nthreads = 1\n",
  });
});

afterAll(async () => {
  await neuron?.stop();
});

const say = (text: string) => [{ role: "user" as const, content: text }];

interface StreamTimes {
  firstToken: Promise<number>;
  done: Promise<number>;
}

/** Streams one chat; resolves with the time of its first content token and of its end. */
function stream(content: string, maxTokens: number): StreamTimes {
  let markFirst!: (at: number) => void;
  const firstToken = new Promise<number>((resolve) => (markFirst = resolve));
  const done = (async () => {
    const chunks = await neuron.openai.chat.completions.create({
      model: "llama",
      messages: say(content),
      max_tokens: maxTokens,
      temperature: 0,
      stream: true,
    });
    for await (const chunk of chunks) if (chunk.choices[0]?.delta.content) markFirst(performance.now());
    return performance.now();
  })();
  return { firstToken, done };
}

describe("a request arriving while other sequences generate", () => {
  it("starts at once on a sequence that holds another conversation, not after the others end", async () => {
    // Every sequence ends up holding a conversation, so the newcomer's has to be erased first.
    await Promise.all(
      ["alpha", "bravo", "charlie", "delta"].map((word) => stream(`warm up ${word} `.repeat(8), 4).done),
    );
    const long = ["one", "two", "three"].map((word) => stream(`a long story number ${word}`, 600));
    await Promise.all(long.map((times) => times.firstToken));

    const newcomer = stream("something else entirely", 4);
    const newcomerFirst = await newcomer.firstToken;
    const longEnds = await Promise.all(long.map((times) => times.done));

    // Before the fix in DecodeGate the newcomer's first token came after all but one had ended.
    expect(newcomerFirst).toBeLessThan(Math.min(...longEnds));
    await newcomer.done;
  });
});
