import type Anthropic from "@anthropic-ai/sdk";
import { collectSse } from "@cortex/testkit";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENDS, RUNS_ON, startStack, type TestStack } from "./anthropic-stack.js";

/**
 * The official `openai` client through the same kind of gateway the Anthropic tests use (one real neuron,
 * an ending and a running-on model), plus `GET /v1/models` in both dialects.
 */
let stack: TestStack;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  stack = await startStack({
    neurons: [{ name: "main", models: { "qwen3-ends": ENDS, llama: RUNS_ON } }],
    gateway: 'default_model = "qwen3-ends"',
    models: ["[[models]]", 'id = "llama"', 'aliases = ["gpt-4o-mini"]'].join("\n"),
  });
  openai = stack.openai();
  anthropic = stack.anthropic();
});

afterAll(async () => {
  await stack?.close();
});

const hello: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Hello there, how are you?" }];
const weatherTool: OpenAI.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string", maxLength: 16 } },
      required: ["city"],
    },
  },
};

describe("chat completions with the openai client", () => {
  it("non-streaming: an ending model stops, with usage", async () => {
    const completion = await openai.chat.completions.create({
      model: "qwen3-ends",
      messages: hello,
      max_tokens: 200,
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.choices[0]?.message.content?.trim()).not.toBe("");
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    expect(completion.usage?.total_tokens).toBe(
      (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0),
    );
  });

  it("non-streaming through an alias: finish length after exactly max_completion_tokens", async () => {
    const completion = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: hello,
      max_completion_tokens: 8,
    });
    expect(completion.choices[0]?.finish_reason).toBe("length");
    expect(completion.usage?.completion_tokens).toBe(8);
  });

  it("streaming: deltas, one finish_reason, a usage chunk with choices [] and data: [DONE]", async () => {
    const stream = await openai.chat.completions.create({
      model: "qwen3-ends",
      messages: hello,
      max_tokens: 200,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    const finishes: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    let usageChoices: unknown;
    for await (const chunk of stream) {
      expect(chunk.object).toBe("chat.completion.chunk");
      text += chunk.choices[0]?.delta.content ?? "";
      const finish = chunk.choices[0]?.finish_reason;
      if (finish) finishes.push(finish);
      if (chunk.usage) {
        usage = chunk.usage;
        usageChoices = chunk.choices;
      }
    }
    expect(text.trim()).not.toBe("");
    expect(finishes).toEqual(["stop"]);
    expect(usageChoices).toEqual([]);
    expect(usage?.completion_tokens).toBeGreaterThan(0);

    const response = await stack.post(
      "/v1/chat/completions",
      { model: "llama", messages: hello, max_tokens: 6, stream: true },
      { accept: "application/json" },
    );
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const messages = await collectSse(response.body);
    expect(messages.every((message) => message.event === undefined)).toBe(true);
    expect(messages.at(-1)?.data).toBe("[DONE]");
    const chunks = messages
      .slice(0, -1)
      .map((message) => JSON.parse(message.data) as OpenAI.ChatCompletionChunk);
    expect(chunks.every((chunk) => Array.isArray(chunk.choices))).toBe(true);
    expect(
      chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.finish_reason)).filter(Boolean),
    ).toEqual(["length"]);
  });

  it("tool_choice required: tool calls with id, type and name; streamed deltas always carry index", async () => {
    const completion = await openai.chat.completions.create({
      model: "qwen3-ends",
      messages: hello,
      tools: [weatherTool],
      tool_choice: "required",
      max_tokens: 200,
    });
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    const call = completion.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== "function") throw new Error("expected a function tool call");
    expect(call.id.length).toBeGreaterThan(0);
    expect(call.function.name).toBe("get_weather");
    expect(typeof (JSON.parse(call.function.arguments) as { city: unknown }).city).toBe("string");

    const stream = await openai.chat.completions.create({
      model: "qwen3-ends",
      messages: hello,
      tools: [weatherTool],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      max_tokens: 200,
      stream: true,
    });
    const args = new Map<number, string>();
    const first = new Map<number, OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall>();
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        expect(Number.isInteger(delta.index)).toBe(true);
        if (!first.has(delta.index)) first.set(delta.index, delta);
        args.set(delta.index, (args.get(delta.index) ?? "") + (delta.function?.arguments ?? ""));
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe("tool_calls");
    expect(first.size).toBeGreaterThan(0);
    for (const [index, delta] of first) {
      expect(delta).toMatchObject({
        id: expect.any(String),
        type: "function",
        function: { name: "get_weather" },
      });
      expect(JSON.parse(args.get(index) ?? "")).toMatchObject({ city: expect.any(String) });
    }
  });

  it("parallel calls cut off by max_tokens: finish length streaming and not, the same calls, the cut one not JSON", async () => {
    const request = {
      model: "qwen3-ends",
      messages: [{ role: "user" as const, content: "What is the weather in Paris and in Tokyo?" }],
      tools: [{ ...weatherTool, function: { ...weatherTool.function, parameters: { type: "object" } } }],
      tool_choice: "required" as const,
      max_tokens: 64,
    };
    const completion = await openai.chat.completions.create(request);
    expect(completion.choices[0]?.finish_reason).toBe("length");
    const calls = (completion.choices[0]?.message.tool_calls ?? []).map((call) =>
      call.type === "function" ? [call.function.name, call.function.arguments] : [],
    );
    expect(calls.length).toBeGreaterThan(0);
    expect(() => JSON.parse(calls.at(-1)?.[1] ?? "") as unknown).toThrow();

    const stream = await openai.chat.completions.create({ ...request, stream: true });
    const streamed: string[][] = [];
    const finishes: string[] = [];
    for await (const chunk of stream) {
      // The neuron's prompt_usage chunk is cortex's own: an OpenAI client that did not ask never sees it.
      expect(chunk).not.toHaveProperty("prompt_usage");
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        streamed[delta.index] ??= [delta.function?.name ?? "", ""];
        streamed[delta.index]![1] += delta.function?.arguments ?? "";
      }
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
    }
    expect(finishes).toEqual(["length"]);
    expect(streamed).toEqual(calls);
  });

  it("an unknown model is a 404 in OpenAI's envelope (model_not_found)", async () => {
    const error: unknown = await openai.chat.completions
      .create({ model: "gpt-nope", messages: hello, max_tokens: 5 })
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");
  });
});

describe("legacy completions and embeddings through the gateway", () => {
  it("completions.create streams and not; embeddings decode the same from base64 (SDK default) and float", async () => {
    const completion = await openai.completions.create({
      model: "llama",
      prompt: "Once upon a time",
      max_tokens: 5,
    });
    expect(completion.object).toBe("text_completion");
    expect(completion.choices[0]?.finish_reason).toBe("length");
    expect(completion.usage?.completion_tokens).toBe(5);
    const stream = await openai.completions.create({
      model: "llama",
      prompt: "Once upon a time",
      max_tokens: 5,
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    expect(text).toBe(completion.choices[0]?.text);

    // The openai SDK asks for base64 and decodes little-endian float32 itself.
    const viaBase64 = await openai.embeddings.create({ model: "qwen3-ends", input: ["hello", "world"] });
    const viaFloat = await openai.embeddings.create({
      model: "qwen3-ends",
      input: ["hello", "world"],
      encoding_format: "float",
    });
    expect(viaBase64.object).toBe("list");
    expect(viaBase64.data.map((item) => item.index)).toEqual([0, 1]);
    expect(viaBase64.data[0]?.embedding.length).toBeGreaterThan(0);
    viaBase64.data.forEach((item, index) => {
      const floats = viaFloat.data[index]?.embedding ?? [];
      expect(item.embedding.map((value) => Math.fround(value))).toEqual(
        floats.map((value) => Math.fround(value)),
      );
    });
    // Zed sends no encoding_format and expects float arrays.
    const raw = await stack.post("/v1/embeddings", { model: "qwen3-ends", input: "hello" });
    const body = (await raw.json()) as { data: { embedding: unknown }[]; usage: { prompt_tokens: number } };
    expect(Array.isArray(body.data[0]?.embedding)).toBe(true);
    expect(body.data[0]?.embedding).toEqual(viaFloat.data[0]?.embedding);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
  });
});

describe("GET /v1/models in both dialects", () => {
  it("openai.models.list() gets the OpenAI shape; the Anthropic SDK gets Anthropic's, paginated", async () => {
    const ids: string[] = [];
    for await (const model of openai.models.list()) {
      expect(model.object).toBe("model");
      ids.push(model.id);
    }
    expect(ids).toEqual(expect.arrayContaining(["qwen3-ends", "llama"]));
    expect((await openai.models.retrieve("llama")).id).toBe("llama");

    const page = await anthropic.models.list({ limit: 1 });
    expect(page.data).toHaveLength(1);
    expect(page.data[0]).toMatchObject({
      type: "model",
      id: expect.any(String),
      display_name: expect.any(String),
    });
    expect(page.has_more).toBe(true);
    const all: string[] = [];
    for await (const model of anthropic.models.list({ limit: 1 })) all.push(model.id);
    expect([...all].sort()).toEqual([...ids].sort());
    const one = await anthropic.models.retrieve("qwen3-ends");
    expect(one).toMatchObject({ type: "model", id: "qwen3-ends" });
    const missing: unknown = await anthropic.models.retrieve("nope").catch((failure: unknown) => failure);
    expect(missing).toMatchObject({ status: 404, type: "not_found_error" });
  });
});
