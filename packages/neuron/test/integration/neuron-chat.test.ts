import { collectSse } from "@cortex/testkit";
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNeuron, type TestNeuron } from "./neuron-harness.js";

const ARCHS = ["llama", "qwen3", "qwen3moe"] as const;
let neuron: TestNeuron;

beforeAll(async () => {
  neuron = await startTestNeuron({
    models: {
      llama: { arch: "llama", quant: "f16" },
      qwen3: { arch: "qwen3", quant: "f16" },
      qwen3moe: { arch: "qwen3moe", quant: "q8_0" },
    },
  });
});

afterAll(async () => {
  await neuron?.stop();
});

const hello = [{ role: "user" as const, content: "Hello there, how are you?" }];

describe("chat completions with the official openai client", () => {
  it.each(ARCHS)("%s: non-streaming, exactly max_tokens tokens, usage by tokenizing", async (model) => {
    const completion = await neuron.openai.chat.completions.create({
      model,
      messages: hello,
      max_tokens: 12,
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]?.finish_reason).toBe("length");
    expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(completion.usage?.completion_tokens).toBe(12);
    const tokenized = (await (await neuron.post("/tokenize", { model, messages: hello })).json()) as {
      count: number;
    };
    expect(completion.usage?.prompt_tokens).toBe(tokenized.count);
  });

  it.each(ARCHS)("%s: streams deltas, a finish chunk, the usage chunk and [DONE]", async (model) => {
    const stream = await neuron.openai.chat.completions.create({
      model,
      messages: hello,
      max_tokens: 10,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    const finishes: (string | null)[] = [];
    let usageChunk: { choices: unknown[]; usage?: { completion_tokens: number } | null } | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
      if (chunk.usage) usageChunk = chunk;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finishes).toEqual(["length"]);
    expect(usageChunk?.choices).toEqual([]);
    expect(usageChunk?.usage?.completion_tokens).toBe(10);
  });

  it("is deterministic for greedy decoding and stops at a stop sequence", async () => {
    const first = await neuron.openai.chat.completions.create({
      model: "qwen3",
      messages: hello,
      max_tokens: 24,
    });
    const again = await neuron.openai.chat.completions.create({
      model: "qwen3",
      messages: hello,
      max_tokens: 24,
    });
    const text = first.choices[0]?.message.content ?? "";
    expect(again.choices[0]?.message.content).toBe(text);
    const stop = text.slice(Math.floor(text.length / 2), Math.floor(text.length / 2) + 3);
    const stopped = await neuron.openai.chat.completions.create({
      model: "qwen3",
      messages: hello,
      max_tokens: 24,
      stop: [stop],
    });
    expect(stopped.choices[0]?.finish_reason).toBe("stop");
    expect(text.startsWith(stopped.choices[0]?.message.content ?? "<none>")).toBe(true);
    expect(stopped.choices[0]?.message.content).not.toContain(stop);
  });

  it("serves 4 concurrent streams to completion", async () => {
    const run = async (index: number): Promise<number> => {
      const stream = await neuron.openai.chat.completions.create({
        model: "llama",
        messages: [{ role: "user", content: `request number ${index}` }],
        max_tokens: 16,
        stream: true,
        stream_options: { include_usage: true },
      });
      let tokens = 0;
      for await (const chunk of stream) if (chunk.usage) tokens = chunk.usage.completion_tokens;
      return tokens;
    };
    expect(await Promise.all([0, 1, 2, 3].map(run))).toEqual([16, 16, 16, 16]);
  });

  it("aborts the generation when the client disconnects and frees the sequence", async () => {
    const controller = new AbortController();
    const stream = await neuron.openai.chat.completions.create(
      { model: "qwen3moe", messages: hello, max_tokens: 4000, stream: true },
      { signal: controller.signal },
    );
    let chunks = 0;
    try {
      for await (const _chunk of stream) {
        if (++chunks < 3) continue;
        // How many chunks were already buffered when the abort lands depends on the machine's load;
        // what matters is what the neuron does with the disconnect (below).
        controller.abort();
        break;
      }
    } catch {
      // the SDK reports the abort as an error; either way the stream is gone
    }
    expect(chunks).toBe(3);
    // Both sequences must be free again: two requests at once complete without queueing behind a ghost.
    const after = await Promise.all(
      [1, 2].map(() =>
        neuron.openai.chat.completions.create({ model: "qwen3moe", messages: hello, max_tokens: 4 }),
      ),
    );
    expect(after.map((completion) => completion.usage?.completion_tokens)).toEqual([4, 4]);
    const generated = await neuron.metric("cortex_neuron_completion_tokens_total", { model: "qwen3moe" });
    expect(generated).toBeLessThan(4000);
  });

  it("reuses the KV cache of a previous turn (prefix reuse)", async () => {
    const history = [
      { role: "system" as const, content: "You are a helpful assistant. ".repeat(40) },
      { role: "user" as const, content: "Tell me about the weather in a long answer." },
    ];
    const first = await neuron.openai.chat.completions.create({
      model: "llama",
      messages: history,
      max_tokens: 8,
    });
    const second = await neuron.openai.chat.completions.create({
      model: "llama",
      messages: [
        ...history,
        { role: "assistant", content: first.choices[0]?.message.content ?? "" },
        { role: "user", content: "And tomorrow?" },
      ],
      max_tokens: 8,
    });
    const cached = second.usage?.prompt_tokens_details?.cached_tokens ?? 0;
    const firstPrompt = first.usage?.prompt_tokens ?? 0;
    expect(firstPrompt).toBeGreaterThan(200);
    // Nearly the whole first turn comes from the cache; only the new turn is evaluated.
    expect(cached).toBeGreaterThan(firstPrompt * 0.9);
    expect((second.usage?.prompt_tokens ?? 0) - cached).toBeLessThan(60);
  });

  it("evaluates the last token again when a sequence holds the whole prompt, and does not report it cached", async () => {
    const messages = [
      { role: "system" as const, content: "You answer in one word. ".repeat(30) },
      { role: "user" as const, content: "Which colour is the sky on a clear day?" },
    ];
    const first = await neuron.openai.chat.completions.create({ model: "qwen3", messages, max_tokens: 3 });
    const prompt = first.usage?.prompt_tokens ?? 0;
    expect(prompt).toBeGreaterThan(100);
    const evaluated = () => neuron.metric("cortex_neuron_prompt_tokens_evaluated_total", { model: "qwen3" });
    const before = await evaluated();

    // The same prompt again: the sequence holds all of it (and the answer), and llama.cpp needs one
    // decode of a prompt token to have logits to sample from.
    const again = await neuron.openai.chat.completions.create({ model: "qwen3", messages, max_tokens: 3 });
    expect(again.usage?.prompt_tokens).toBe(prompt);
    expect(again.usage?.prompt_tokens_details?.cached_tokens).toBe(prompt - 1);
    expect((await evaluated()) - before).toBe(1);
  });

  it("refuses a prompt longer than the context with both numbers", async () => {
    const response = await neuron.post("/v1/chat/completions", {
      model: "qwen3",
      messages: [{ role: "user", content: "lorem ipsum dolor sit amet ".repeat(2000) }],
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("context_length_exceeded");
    expect(body.error.message).toMatch(/prompt is too long: \d+ tokens > \d+ maximum/);
  });

  it("returns forced tool calls in the OpenAI shape, streaming with index", async () => {
    const tools = [
      {
        type: "function" as const,
        function: {
          name: "get_weather",
          description: "Weather for a city",
          parameters: {
            type: "object",
            properties: {
              city: { type: "string", maxLength: 12 },
              unit: { enum: ["celsius", "fahrenheit"] },
            },
            required: ["city", "unit"],
          },
        },
      },
    ];
    const headers = { "x-cortex-force-tool-call": "get_weather" };
    // One call: with parallel calls a second one may be cut off by max_tokens (finish "length").
    const completion = await neuron.openai.chat.completions.create(
      { model: "qwen3", messages: hello, tools, max_tokens: 64, parallel_tool_calls: false },
      { headers },
    );
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type).toBe("function");
    if (call?.type !== "function") throw new Error("expected a function call");
    expect(call.function.name).toBe("get_weather");
    expect(call.id).toMatch(/^call_/);
    const args = JSON.parse(call.function.arguments) as { city: string; unit: string };
    expect(typeof args.city).toBe("string");
    expect(["celsius", "fahrenheit"]).toContain(args.unit);

    const stream = await neuron.openai.chat.completions.create(
      { model: "llama", messages: hello, tools, max_tokens: 64, stream: true },
      { headers },
    );
    const fragments: string[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        expect(delta.index).toBe(0);
        fragments.push(delta.function?.arguments ?? "");
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe("tool_calls");
    expect(JSON.parse(fragments.join(""))).toHaveProperty("city");
  });

  it("ends parallel tool calls cut off by max_tokens with length, the same calls streaming or not", async () => {
    const body = {
      model: "qwen3",
      messages: [{ role: "user", content: "What is the weather in Paris and in Tokyo?" }],
      max_tokens: 64,
      tool_choice: "required",
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
          },
        },
      ],
    };
    const whole = (await (await neuron.post("/v1/chat/completions", body)).json()) as OpenAI.ChatCompletion;
    const choice = whole.choices[0];
    expect(choice?.finish_reason).toBe("length");
    expect(whole.usage?.completion_tokens).toBe(64);
    const calls = (choice?.message.tool_calls ?? []).map((call) =>
      call.type === "function" ? [call.function.name, call.function.arguments] : [],
    );
    expect(calls.length).toBeGreaterThan(0);
    // The last call was cut off: its arguments are kept as generated, never passed off as complete JSON.
    expect(() => JSON.parse(calls.at(-1)?.[1] ?? "")).toThrow();
    expect(choice?.message.content).toBeNull();

    const response = await neuron.post("/v1/chat/completions", { ...body, stream: true });
    const chunks = (await collectSse(response.body))
      .filter((message) => message.data !== "[DONE]")
      .map((message) => JSON.parse(message.data) as OpenAI.ChatCompletionChunk);
    const streamed: string[][] = [];
    for (const chunk of chunks) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        streamed[delta.index] ??= [delta.function?.name ?? "", ""];
        streamed[delta.index]![1] += delta.function?.arguments ?? "";
      }
    }
    expect(streamed).toEqual(calls);
    expect(chunks.flatMap((chunk) => chunk.choices.map((c) => c.finish_reason)).filter(Boolean)).toEqual([
      "length",
    ]);
  });

  it("returns a thought as reasoning_content whole, the same text it streams (forced thought)", async () => {
    const body = { model: "qwen3", messages: hello, max_tokens: 24 };
    const headers = { "x-cortex-force-thought": "1" };
    const response = await neuron.post("/v1/chat/completions", body, headers);
    const whole = (await response.json()) as {
      choices: { message: { content: string | null; reasoning_content?: string } }[];
    };
    const message = whole.choices[0]?.message;

    const stream = await neuron.post("/v1/chat/completions", { ...body, stream: true }, headers);
    let reasoning = "";
    let text = "";
    for (const sse of await collectSse(stream.body)) {
      if (sse.data === "[DONE]") continue;
      const chunk = JSON.parse(sse.data) as {
        choices: { delta: { content?: string | null; reasoning_content?: string } }[];
      };
      reasoning += chunk.choices[0]?.delta.reasoning_content ?? "";
      text += chunk.choices[0]?.delta.content ?? "";
    }
    expect(reasoning).not.toBe("");
    expect(message?.reasoning_content).toBe(reasoning);
    expect(message?.content ?? "").toBe(text);
  });

  it("opens a stream with the prompt's usage when include_prompt_usage asks for it (neuron protocol)", async () => {
    const body = { model: "llama", messages: hello, max_tokens: 3, stream: true };
    const chunks = async (streamOptions: object) =>
      (
        await collectSse(
          (await neuron.post("/v1/chat/completions", { ...body, stream_options: streamOptions })).body,
        )
      )
        .filter((message) => message.data !== "[DONE]")
        .map((message) => JSON.parse(message.data) as Record<string, unknown>);
    const asked = await chunks({ include_usage: true, include_prompt_usage: true });
    const final = asked.at(-1)?.["usage"] as OpenAI.CompletionUsage;
    expect(asked[0]).toMatchObject({
      choices: [],
      prompt_usage: {
        prompt_tokens: final.prompt_tokens,
        completion_tokens: 0,
        prompt_tokens_details: { cached_tokens: final.prompt_tokens_details?.cached_tokens },
      },
    });
    // Nobody else gets it: the first chunk is the role's.
    const plain = await chunks({ include_usage: true });
    expect(plain.some((chunk) => "prompt_usage" in chunk)).toBe(false);
    expect(plain[0]).toMatchObject({ choices: [{ delta: { role: "assistant" } }] });
  });

  it("maps assistant tool_calls and tool results in the history", async () => {
    const completion = await neuron.openai.chat.completions.create({
      model: "qwen3",
      max_tokens: 6,
      messages: [
        { role: "user", content: "What is the weather in Paris?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: "call_1",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: '{"temperature": 21}' },
      ],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            parameters: { type: "object", properties: { city: { type: "string" } } },
          },
        },
      ],
    });
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("produces JSON that matches a json_schema response_format", async () => {
    const completion = await neuron.openai.chat.completions.create({
      model: "llama",
      messages: hello,
      max_tokens: 200,
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "person",
          schema: {
            type: "object",
            properties: { name: { type: "string", maxLength: 10 }, ok: { type: "boolean" } },
            required: ["name", "ok"],
          },
        },
      },
    });
    const parsed = JSON.parse(completion.choices[0]?.message.content ?? "") as { name: unknown; ok: unknown };
    expect(typeof parsed.name).toBe("string");
    expect(typeof parsed.ok).toBe("boolean");
  });

  it.each(["llama", "qwen3"])(
    "%s: /tokenize and /v1/completions agree on a prompt holding special-token text",
    async (model) => {
      const prompt = "<|im_start|>user <|begin_of_text|>hi<|im_end|><|eot_id|>";
      const completion = await neuron.openai.completions.create({ model, prompt, max_tokens: 1 });
      const tokenized = (await (await neuron.post("/tokenize", { model, prompt })).json()) as {
        count: number;
      };
      expect(tokenized.count).toBe(completion.usage?.prompt_tokens);
    },
  );

  it("serves legacy completions and embeddings", async () => {
    const completion = await neuron.openai.completions.create({
      model: "qwen3",
      prompt: "Once upon a time",
      max_tokens: 5,
    });
    expect(completion.choices[0]?.finish_reason).toBe("length");
    expect(completion.usage?.completion_tokens).toBe(5);
    // The same prompt again, longer: everything the first one evaluated comes from the cache (llama's
    // tokenizer prepends BOS, which the sequence holds too).
    const prompt = "Once upon a time ".repeat(20);
    const first = await neuron.openai.completions.create({ model: "llama", prompt, max_tokens: 2 });
    const again = await neuron.openai.completions.create({
      model: "llama",
      prompt: `${prompt}there was`,
      max_tokens: 2,
    });
    const promptTokens = first.usage?.prompt_tokens ?? 0;
    const cached = (again.usage as { prompt_tokens_details?: { cached_tokens?: number } } | undefined)
      ?.prompt_tokens_details?.cached_tokens;
    expect(promptTokens).toBeGreaterThan(40);
    expect(cached).toBeGreaterThanOrEqual(promptTokens - 1);
    const embeddings = await neuron.openai.embeddings.create({ model: "qwen3", input: ["hello", "world"] });
    expect(embeddings.data).toHaveLength(2);
    expect(embeddings.data[0]?.embedding).toHaveLength(64);
  });
});
