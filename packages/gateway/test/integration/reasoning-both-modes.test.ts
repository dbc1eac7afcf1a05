import { collectSse } from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectWellFormedStream, toWireEvents } from "../anthropic/anthropic-events.js";
import { ENDS, startStack, type TestStack } from "../anthropic/anthropic-stack.js";
import { readResponsesStream, terminalOf } from "../responses/responses-events.js";

/**
 * A model's reasoning reaches the client in every dialect, whole or streamed, and the same text both ways
 * (greedy decoding). Random weights never think, so the neuron runs with CORTEX_TEST_FORCE_THOUGHT=1: every
 * chat generation starts with the Qwen3 wrapper's `<think>`, and what follows is a real thought segment.
 */
let stack: TestStack;
const MODEL = "qwen3-thinks";
const input = "Think about the weather.";

beforeAll(async () => {
  stack = await startStack({
    neurons: [{ name: "thinks", models: { [MODEL]: ENDS }, env: { CORTEX_TEST_FORCE_THOUGHT: "1" } }],
  });
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe("reasoning of a thinking model, streaming and not", () => {
  it("OpenAI chat: message.reasoning_content holds what the reasoning_content deltas stream", async () => {
    const body = { model: MODEL, messages: [{ role: "user", content: input }], max_tokens: 24 };
    const whole = (await (await stack.post("/v1/chat/completions", body)).json()) as {
      choices: { message: { reasoning_content?: string } }[];
    };
    let streamed = "";
    for (const sse of await collectSse(
      (await stack.post("/v1/chat/completions", { ...body, stream: true })).body,
    )) {
      if (sse.data === "[DONE]") continue;
      const chunk = JSON.parse(sse.data) as { choices: { delta: { reasoning_content?: string } }[] };
      streamed += chunk.choices[0]?.delta.reasoning_content ?? "";
    }
    expect(streamed.trim()).not.toBe("");
    expect(whole.choices[0]?.message.reasoning_content).toBe(streamed);
  });

  it("Anthropic messages: create() opens with the thinking block the stream sends (items 27, 36, 76)", async () => {
    const request = { model: MODEL, max_tokens: 24, messages: [{ role: "user" as const, content: input }] };
    const response = await stack.post("/v1/messages", { ...request, stream: true });
    const [thinking] = expectWellFormedStream(toWireEvents(await collectSse(response.body)));
    // One thinking block: empty start, thinking_delta*, then exactly one signature_delta.
    expect(thinking?.start).toEqual({ type: "thinking", thinking: "", signature: "" });
    const deltas = thinking?.deltas ?? [];
    expect(deltas.at(-1)).toMatchObject({ type: "signature_delta", signature: expect.any(String) });
    expect(deltas.slice(0, -1).every((delta) => delta.type === "thinking_delta")).toBe(true);
    const streamed = deltas
      .map((delta) => (delta.type === "thinking_delta" ? String(delta.thinking) : ""))
      .join("");
    expect(streamed.trim()).not.toBe("");

    const whole = await stack.anthropic().messages.create(request);
    const [first, ...rest] = whole.content;
    expect(first).toMatchObject({ type: "thinking", thinking: streamed, signature: expect.any(String) });
    expect(rest.some((block) => block.type === "thinking")).toBe(false);
  });

  it("Responses: the whole response has the reasoning item the stream ends with", async () => {
    const body = { model: MODEL, input, max_output_tokens: 24 };
    const events = await readResponsesStream(await stack.post("/v1/responses", { ...body, stream: true }));
    const reasoningText = (output: readonly { type: string }[]): string[] =>
      output.flatMap((item) =>
        item.type === "reasoning" && "content" in item
          ? [(item.content as { text: string }[]).map((part) => part.text).join("")]
          : [],
      );
    const streamed = reasoningText(terminalOf(events).response.output);
    expect(streamed.length).toBe(1);
    expect(streamed[0]?.trim()).not.toBe("");
    const whole = await stack.openai().responses.create(body);
    expect(whole.output[0]?.type).toBe("reasoning");
    expect(reasoningText(whole.output)).toEqual(streamed);
  });
});
