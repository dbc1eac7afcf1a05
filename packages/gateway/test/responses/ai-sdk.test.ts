import { createOpenAI } from "@ai-sdk/openai";
import { validateResponsesEvents } from "@cortex/core";
import { collectSse } from "@cortex/testkit";
import { generateText, stepCountIs, streamText, tool } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ENDS, startStack, type TestStack } from "../anthropic/anthropic-stack.js";

/**
 * The AI SDK (`ai` 6 with `@ai-sdk/openai` 3, whose default `openai(model)` speaks the Responses API)
 * against a real gateway and real neurons, unmodified but for the base URL. Its fetch is wrapped only to
 * keep a copy of every stream the gateway sent, which is checked against the Responses event grammar.
 */
let stack: TestStack;
const problems: Promise<string[]>[] = [];
let paths: string[] = [];

beforeAll(async () => {
  stack = await startStack({
    neurons: [
      { name: "main", models: { "qwen3-ends": ENDS } },
      { name: "tools", models: { "qwen3-tools": ENDS }, env: { CORTEX_TEST_FORCE_TOOL_CALL: "*" } },
    ],
  });
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

const checkingFetch: typeof fetch = async (input, init) => {
  paths.push(new URL(input instanceof Request ? input.url : String(input)).pathname);
  const response = await fetch(input, init);
  if (!response.body || !response.headers.get("content-type")?.startsWith("text/event-stream"))
    return response;
  const [copy, theirs] = response.body.tee();
  problems.push(
    collectSse(copy).then((messages) =>
      validateResponsesEvents(
        messages.map((message) => ({
          event: message.event ?? null,
          data: JSON.parse(message.data) as unknown,
        })),
        { toolJson: true },
      ),
    ),
  );
  return new Response(theirs, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
};

function provider() {
  paths = [];
  return createOpenAI({ baseURL: `${stack.url}/v1`, apiKey: "unused", fetch: checkingFetch });
}

async function streamsWereWellFormed(): Promise<void> {
  for (const found of await Promise.all(problems.splice(0))) expect(found).toEqual([]);
}

describe("AI SDK @ai-sdk/openai (Responses API)", () => {
  it("generateText answers with text, a stop finish and usage", async () => {
    const openai = provider();
    const result = await generateText({
      model: openai("qwen3-ends"),
      prompt: "Hello there, how are you?",
      maxRetries: 0,
    });
    expect(paths).toEqual(["/v1/responses"]);
    expect(result.text.trim()).not.toBe("");
    expect(result.finishReason).toBe("stop");
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(result.response.id).toMatch(/^resp_/);
  });

  it("streamText streams the same text it finishes with", async () => {
    const openai = provider();
    const result = streamText({
      model: openai("qwen3-ends"),
      system: "Be brief.",
      prompt: "Say something.",
      maxRetries: 0,
    });
    let streamed = "";
    for await (const delta of result.textStream) streamed += delta;
    expect(streamed.trim()).not.toBe("");
    expect(await result.text).toBe(streamed);
    expect(await result.finishReason).toBe("stop");
    expect((await result.usage).inputTokens).toBeGreaterThan(0);
    await streamsWereWellFormed();
  });

  it("a tool call round trip: the call is parsed and executed, its result answered", async () => {
    const openai = provider();
    const executed: { city: string }[] = [];
    const getWeather = tool({
      description: "Current weather for a city",
      inputSchema: z.object({ city: z.string().max(16) }),
      execute: (input) => {
        executed.push(input);
        return Promise.resolve({ forecast: "18 degrees and sunny" });
      },
    });
    const result = streamText({
      model: openai("qwen3-tools"),
      prompt: "What is the weather in Paris?",
      tools: { get_weather: getWeather },
      stopWhen: stepCountIs(2),
      maxRetries: 0,
    });
    await result.consumeStream();
    const steps = await result.steps;
    expect(steps.length).toBe(2);
    expect(steps[0]?.finishReason).toBe("tool-calls");
    expect(steps[0]?.toolCalls.map((call) => call.toolName)).toContain("get_weather");
    expect(executed.length).toBe(steps[0]?.toolCalls.length);
    expect(steps[1]?.toolCalls).toEqual([]);
    expect(steps[1]?.text.trim()).not.toBe("");
    expect(paths).toEqual(["/v1/responses", "/v1/responses"]);
    await streamsWereWellFormed();

    const generated = await generateText({
      model: openai("qwen3-tools"),
      prompt: "And in Oslo?",
      tools: { get_weather: getWeather },
      stopWhen: stepCountIs(2),
      maxRetries: 0,
    });
    expect(generated.steps[0]?.toolCalls.length).toBeGreaterThan(0);
    expect(generated.finishReason).toBe("stop");
  });
});
