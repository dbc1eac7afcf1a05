import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import {
  Output,
  generateText,
  stepCountIs,
  streamText,
  tool,
  type LanguageModel,
  type TextStreamPart,
  type ToolSet,
} from "ai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CUT_PROMPT, HELLO, WEATHER_PROMPT, useClientStack } from "./client-stack.js";

/**
 * The AI SDK (`ai` 6) with its chat providers, unmodified but for the base URL, against a real gateway and
 * real neurons: `@ai-sdk/openai-compatible`, `@ai-sdk/openai` (`.chat`, Chat Completions) and
 * `@ai-sdk/anthropic` (Messages). Each gets the standard calls (text, stream, a tool round trip,
 * structured output) and a tool call cut off by max tokens; a regression in any of them fails here.
 */
const stack = useClientStack();

const PROVIDERS: readonly [string, (model: string) => LanguageModel][] = [
  [
    "@ai-sdk/openai-compatible",
    (model) =>
      createOpenAICompatible({
        name: "cortex",
        baseURL: `${stack().url}/v1`,
        apiKey: "unused",
        includeUsage: true,
        supportsStructuredOutputs: true,
      }).chatModel(model),
  ],
  [
    "@ai-sdk/openai (chat)",
    (model) => createOpenAI({ baseURL: `${stack().url}/v1`, apiKey: "unused" }).chat(model),
  ],
  [
    "@ai-sdk/anthropic",
    (model) => createAnthropic({ baseURL: `${stack().url}/v1`, apiKey: "unused" })(model),
  ],
];

function weatherTools(executed: unknown[] = []): ToolSet {
  return {
    get_weather: tool({
      description: "Current weather for a city",
      // Unbounded: the cut-off test needs arguments that run on.
      inputSchema: z.object({ city: z.string() }),
      execute: (input) => {
        executed.push(input);
        return Promise.resolve({ forecast: "18 degrees and sunny" });
      },
    }),
  };
}

type CallPart = { type: string; toolCallId: string; toolName: string; input: unknown };

/** What a step's content says about its calls, comparable between generateText and streamText. */
function callsOf(content: readonly { type: string }[]) {
  const parts = content as CallPart[];
  const calls = parts.filter((part) => part.type === "tool-call");
  return {
    // The last call was cut off: in a stream its input is the text generated so far, while a non-streaming
    // Anthropic answer can only hold the members that were complete.
    calls: calls.map((call, index) =>
      index === calls.length - 1 ? { name: call.toolName } : { name: call.toolName, input: call.input },
    ),
    // Calls whose input failed the tool's schema: reported as errors, never executed.
    failed: parts
      .filter((part) => part.type === "tool-error")
      .map((error) => calls.findIndex((call) => call.toolCallId === error.toolCallId)),
  };
}

describe.each(PROVIDERS)("%s", (_name, model) => {
  it("generateText answers with text, a stop finish and usage", async () => {
    const result = await generateText({ model: model("qwen3-ends"), prompt: HELLO, maxRetries: 0 });
    expect(result.text.trim()).not.toBe("");
    expect(result.finishReason).toBe("stop");
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
  });

  it("streamText streams the text it finishes with, and the same input tokens as generateText", async () => {
    const result = streamText({ model: model("qwen3-ends"), prompt: HELLO, maxRetries: 0 });
    let streamed = "";
    for await (const delta of result.textStream) streamed += delta;
    expect(streamed.trim()).not.toBe("");
    expect(await result.text).toBe(streamed);
    expect(await result.finishReason).toBe("stop");
    const whole = await generateText({ model: model("qwen3-ends"), prompt: HELLO, maxRetries: 0 });
    expect((await result.usage).inputTokens).toBe(whole.usage.inputTokens);
  });

  it("a tool round trip: the forced call is parsed and executed, its result answered", async () => {
    const executed: unknown[] = [];
    const result = streamText({
      model: model("qwen3-tools"),
      prompt: WEATHER_PROMPT,
      tools: weatherTools(executed),
      stopWhen: stepCountIs(2),
      maxRetries: 0,
    });
    await result.consumeStream();
    const steps = await result.steps;
    expect(steps.map((step) => step.finishReason)).toEqual(["tool-calls", "stop"]);
    expect(steps[0]?.toolCalls.map((call) => call.toolName)).toContain("get_weather");
    expect(executed).toHaveLength(steps[0]?.toolCalls.length ?? -1);
    expect(steps[1]?.text.trim()).not.toBe("");

    const generated = await generateText({
      model: model("qwen3-tools"),
      prompt: WEATHER_PROMPT,
      tools: weatherTools(),
      stopWhen: stepCountIs(2),
      maxRetries: 0,
    });
    expect(generated.steps.map((step) => step.finishReason)).toEqual(["tool-calls", "stop"]);
  });

  it("structured output: an object that matches the schema", async () => {
    const schema = z.object({ name: z.string().max(12), ok: z.boolean() });
    const result = await generateText({
      model: model("qwen3-ends"),
      prompt: "Describe a person.",
      output: Output.object({ schema }),
      maxRetries: 0,
    });
    expect(schema.safeParse(result.output).success).toBe(true);
  });

  it("a tool call cut off by max tokens: length in both modes, the same calls, none passed off as complete", async () => {
    const options = {
      model: model("qwen3-ends"),
      prompt: CUT_PROMPT,
      tools: weatherTools(),
      toolChoice: "required" as const,
      maxOutputTokens: 64,
      maxRetries: 0,
    };
    const whole = await generateText(options);
    const streamed = streamText(options);
    await streamed.consumeStream();
    expect([whole.finishReason, await streamed.finishReason]).toEqual(["length", "length"]);
    const calls = callsOf(whole.content);
    expect(callsOf(await streamed.content)).toEqual(calls);
    // The cut call is never passed off as complete: its input fails the schema.
    expect(calls.failed).toEqual([calls.calls.length - 1]);
  });
});

describe("@ai-sdk/openai (chat) stream parts", () => {
  it("no empty text part precedes a tool call", async () => {
    const openai = createOpenAI({ baseURL: `${stack().url}/v1`, apiKey: "unused" });
    const result = streamText({
      model: openai.chat("qwen3-tools"),
      prompt: WEATHER_PROMPT,
      tools: weatherTools(),
      maxRetries: 0,
    });
    const parts: TextStreamPart<ToolSet>[] = [];
    for await (const part of result.fullStream) parts.push(part);
    const firstCall = parts.findIndex((part) => part.type === "tool-input-start");
    expect(firstCall).toBeGreaterThan(-1);
    expect(parts.slice(0, firstCall).map((part) => part.type)).not.toContain("text-start");
    expect((await result.content).filter((part) => part.type === "text")).toEqual([]);
  });
});
