import { describe, expect, it } from "vitest";
import {
  encodeOpenAICompletionResponse,
  encodeOpenAIEmbeddingsResponse,
  parseOpenAICompletionRequest,
  parseOpenAIEmbeddingsRequest,
} from "../../src/dialects/index.js";

describe("completions", () => {
  it("encodes a text_completion", () => {
    expect(
      encodeOpenAICompletionResponse({
        id: "cmpl-1",
        model: "m",
        created: 1,
        text: "world",
        finishReason: { unified: "length" },
        usage: { promptTokens: 2, completionTokens: 1 },
      }),
    ).toEqual({
      id: "cmpl-1",
      object: "text_completion",
      created: 1,
      model: "m",
      choices: [{ text: "world", index: 0, logprobs: null, finish_reason: "length" }],
      usage: {
        prompt_tokens: 2,
        completion_tokens: 1,
        total_tokens: 3,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    });
  });

  it("validates the request and refuses n, best_of and logprobs", () => {
    expect(parseOpenAICompletionRequest({ model: "m", prompt: ["a", "b"], max_tokens: 5 })).toMatchObject({
      prompt: ["a", "b"],
    });
    expect(() => parseOpenAICompletionRequest({ model: "m" })).toThrow("prompt: Field required");
    expect(() => parseOpenAICompletionRequest({ model: "m", prompt: "x", n: 3 })).toThrow(
      expect.objectContaining({ param: "n" }),
    );
    expect(() => parseOpenAICompletionRequest({ model: "m", prompt: "x", logprobs: 2 })).toThrow(
      expect.objectContaining({ param: "logprobs" }),
    );
  });

  it("refuses max_tokens 0, which node-llama-cpp would read as no limit at all (found by fuzzing)", () => {
    expect(() => parseOpenAICompletionRequest({ model: "m", prompt: "x", max_tokens: 0 })).toThrow(
      expect.objectContaining({
        status: 400,
        param: "max_tokens",
        message: "max_tokens: Too small: expected number to be >=1",
      }),
    );
  });
});

describe("embeddings", () => {
  const vectors = [
    [0.1, -2.5, 3],
    [1e-7, 0, -0],
  ];

  it("returns float arrays by default (Zed) and little-endian float32 base64 on request (openai SDK)", () => {
    const floats = encodeOpenAIEmbeddingsResponse({ model: "e", embeddings: vectors, promptTokens: 4 });
    expect(floats).toEqual({
      object: "list",
      data: [
        { object: "embedding", index: 0, embedding: vectors[0] },
        { object: "embedding", index: 1, embedding: vectors[1] },
      ],
      model: "e",
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
    const base64 = encodeOpenAIEmbeddingsResponse({
      model: "e",
      embeddings: vectors.map((vector) => Float32Array.from(vector)),
      promptTokens: 4,
      encodingFormat: "base64",
    });
    base64.data.forEach((item, index) => {
      // What the openai SDK does with the string.
      const bytes = Buffer.from(item.embedding as string, "base64");
      const decoded = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      expect(Array.from(decoded)).toEqual(Array.from(Float32Array.from(vectors[index]!)));
    });
    expect(base64.data[0]!.embedding).toBe("zczMPQAAIMAAAEBA");
  });

  it("validates the request", () => {
    expect(
      parseOpenAIEmbeddingsRequest({ model: "e", input: "hi", encoding_format: "base64" }).encoding_format,
    ).toBe("base64");
    expect(() => parseOpenAIEmbeddingsRequest({ model: "e", input: [] })).toThrow(
      expect.objectContaining({ param: "input" }),
    );
    expect(() => parseOpenAIEmbeddingsRequest({ model: "e", input: "x", encoding_format: "int8" })).toThrow(
      expect.objectContaining({ param: "encoding_format" }),
    );
  });
});
