import { ChatAnthropic } from "@langchain/anthropic";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { AIMessageChunk } from "@langchain/core/messages";
import { HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CUT_PROMPT, HELLO, WEATHER_PROMPT, useClientStack } from "./client-stack.js";

/**
 * LangChain's chat models, unmodified but for the base URL, against a real gateway and real neurons:
 * `ChatOpenAI` (@langchain/openai, Chat Completions) and `ChatAnthropic` (@langchain/anthropic, Messages).
 * Each gets the standard calls (invoke, stream, a tool round trip, structured output) and a tool call cut
 * off by max tokens.
 */
const stack = useClientStack();

interface ClientCase {
  /** The finish the dialect reports for an ended reply, a tool call and a cut one. */
  finish: { stop: string; tools: string; cut: string };
  finishOf(message: BaseMessage): unknown;
  make(model: string, options?: { maxTokens?: number }): BaseChatModel;
}

function metadata(message: BaseMessage): Record<string, unknown> {
  return message.response_metadata as Record<string, unknown>;
}

const CLIENTS: readonly [string, ClientCase][] = [
  [
    "ChatOpenAI",
    {
      finish: { stop: "stop", tools: "tool_calls", cut: "length" },
      finishOf: (message) => metadata(message)["finish_reason"],
      make: (model, options = {}) =>
        new ChatOpenAI({
          model,
          apiKey: "unused",
          configuration: { baseURL: `${stack().url}/v1` },
          maxRetries: 0,
          ...options,
        }),
    },
  ],
  [
    "ChatAnthropic",
    {
      finish: { stop: "end_turn", tools: "tool_use", cut: "max_tokens" },
      // A stream carries message_delta's stop_reason in additional_kwargs.
      finishOf: (message) => metadata(message)["stop_reason"] ?? message.additional_kwargs["stop_reason"],
      make: (model, options = {}) =>
        new ChatAnthropic({
          model,
          apiKey: "unused",
          anthropicApiUrl: stack().url,
          maxRetries: 0,
          maxTokens: 1024,
          ...options,
        }),
    },
  ],
];

// Unbounded: the cut-off test needs arguments that run on.
const weatherSchema = z.object({ city: z.string() });
const weather = tool(() => JSON.stringify({ forecast: "18 degrees and sunny" }), {
  name: "get_weather",
  description: "Current weather for a city",
  schema: weatherSchema,
});

async function streamed(model: BaseChatModel, messages: BaseMessage[] | string): Promise<AIMessageChunk> {
  let whole: AIMessageChunk | undefined;
  for await (const chunk of await model.stream(messages)) whole = whole ? whole.concat(chunk) : chunk;
  if (!whole) throw new Error("the stream was empty");
  return whole;
}

function textOf(message: BaseMessage): string {
  return typeof message.content === "string"
    ? message.content
    : message.content.map((part) => (part.type === "text" ? (part as { text: string }).text : "")).join("");
}

describe.each(CLIENTS)("%s", (_name, client) => {
  it("invoke answers with text, the dialect's stop and usage", async () => {
    const answer = await client.make("qwen3-ends").invoke(HELLO);
    expect(textOf(answer).trim()).not.toBe("");
    expect(client.finishOf(answer)).toBe(client.finish.stop);
    expect(answer.usage_metadata?.input_tokens).toBeGreaterThan(0);
    expect(answer.usage_metadata?.output_tokens).toBeGreaterThan(0);
  });

  it("stream reports the same text and input tokens as invoke", async () => {
    const model = client.make("qwen3-ends");
    const answer = await model.invoke(HELLO);
    const chunks = await streamed(model, HELLO);
    expect(textOf(chunks)).toBe(textOf(answer));
    expect(client.finishOf(chunks)).toBe(client.finish.stop);
    expect(chunks.usage_metadata?.input_tokens).toBe(answer.usage_metadata?.input_tokens);
    expect(chunks.usage_metadata?.output_tokens).toBe(answer.usage_metadata?.output_tokens);
  });

  it("a tool round trip: bindTools, the forced call, its ToolMessage answered", async () => {
    const model = client.make("qwen3-tools");
    const withTools = model.bindTools?.([weather]);
    if (!withTools) throw new Error("bindTools missing");
    const question = new HumanMessage(WEATHER_PROMPT);
    const call = await withTools.invoke([question]);
    expect(client.finishOf(call)).toBe(client.finish.tools);
    expect(call.tool_calls?.length).toBeGreaterThan(0);
    expect(call.tool_calls?.[0]).toMatchObject({ name: "get_weather", args: { city: expect.any(String) } });
    const results = await Promise.all((call.tool_calls ?? []).map((toolCall) => weather.invoke(toolCall)));
    expect(results.every((result) => result instanceof ToolMessage)).toBe(true);
    const answer = await withTools.invoke([question, call, ...results]);
    expect(answer.tool_calls).toEqual([]);
    expect(textOf(answer).trim()).not.toBe("");

    // Streamed, the call arrives in chunks and is assembled into the same shape.
    const chunks = await streamed(withTools as BaseChatModel, [question]);
    expect(chunks.tool_calls?.[0]).toMatchObject({ name: "get_weather", args: { city: expect.any(String) } });
  });

  it("withStructuredOutput returns an object that matches the schema", async () => {
    const schema = z.object({ name: z.string().max(12), ok: z.boolean() });
    const result: unknown = await client
      .make("qwen3-ends")
      .withStructuredOutput(schema)
      .invoke("Describe a person.");
    expect(schema.safeParse(result).success).toBe(true);
  });

  it("a tool call cut off by max tokens: the dialect's length in both modes, never a complete call", async () => {
    const model = client.make("qwen3-ends", { maxTokens: 64 }).bindTools?.([weather], { tool_choice: "any" });
    if (!model) throw new Error("bindTools missing");
    const answer = await model.invoke(CUT_PROMPT);
    const chunks = await streamed(model as BaseChatModel, CUT_PROMPT);
    expect([client.finishOf(answer), client.finishOf(chunks)]).toEqual([
      client.finish.cut,
      client.finish.cut,
    ]);
    const names = (message: AIMessageChunk) =>
      [...(message.tool_calls ?? []), ...(message.invalid_tool_calls ?? [])].map((call) => call.name);
    expect(names(chunks)).toEqual(names(answer));
    // Not passed off as a complete call: unparsable (OpenAI), or only the members that were complete, which
    // fail the tool's schema (Anthropic). LangChain's own stream reader still reads the partial text.
    const cut = [...(answer.tool_calls ?? []), ...(answer.invalid_tool_calls ?? [])].at(-1);
    expect(cut?.type === "invalid_tool_call" || !weatherSchema.safeParse(cut?.args).success).toBe(true);
  });
});
