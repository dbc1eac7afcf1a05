import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNeuron, type TestNeuron } from "./neuron-harness.js";

let neuron: TestNeuron;

beforeAll(async () => {
  neuron = await startTestNeuron({
    models: { llama: { arch: "llama", quant: "f16" } },
    config: "context_size = 8192\nparallel = 4\nthreads = 1\n",
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
function stream(content: string, maxTokens: number, onToken?: (at: number) => boolean): StreamTimes {
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
    for await (const chunk of chunks) {
      if (!chunk.choices[0]?.delta.content) continue;
      const at = performance.now();
      markFirst(at);
      // onToken answers whether to go on: the caller may stop a long stream once it has seen enough.
      if (onToken && !onToken(at)) {
        chunks.controller.abort();
        break;
      }
    }
    return performance.now();
  })();
  return { firstToken, done };
}

describe("sequences sharing a context", () => {
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

  it("keeps a generating stream flowing while another sequence's long prompt is evaluated", async () => {
    const tokens: number[] = [];
    let stopAfter = Number.POSITIVE_INFINITY;
    const generating = stream("keep talking about anything", 4000, (at) => {
      tokens.push(at);
      return at < stopAfter;
    });
    await generating.firstToken;

    const sent = performance.now();
    // ≈ 5000 prompt tokens: about ten batches of 512.
    const prompt = stream("lorem ipsum dolor sit amet ".repeat(400), 1);
    const evaluated = await prompt.firstToken;
    stopAfter = evaluated;
    await Promise.all([prompt.done, generating.done]);

    // With node-llama-cpp's default batching the generating stream got no token until the prompt was
    // done. Now its tokens arrive throughout the evaluation: in at least two of its three thirds (not
    // all three, nor a bound on the largest gap — one scheduling hiccup on a loaded machine is not a
    // stall of the engine).
    const third = (evaluated - sent) / 3;
    const during = tokens.filter((at) => at > sent && at < evaluated);
    const thirds = new Set(during.map((at) => Math.min(2, Math.floor((at - sent) / third))));
    expect(during.length).toBeGreaterThan(2);
    expect(thirds.size).toBeGreaterThanOrEqual(2);
  });
});
