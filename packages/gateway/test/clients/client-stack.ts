import { afterAll, beforeAll } from "vitest";
import { ENDS, startStack, type NeuronSpec, type TestStack } from "../anthropic/anthropic-stack.js";

/**
 * The neurons the client suites run against: "qwen3-ends" ends its replies (and, with tool_choice
 * required, calls tools whose unbounded arguments run on), "qwen3-tools" lives on a neuron started with
 * CORTEX_TEST_FORCE_TOOL_CALL=*, so every fresh user turn with tools gets a real, schema-valid call.
 */
export const CLIENT_NEURONS: readonly NeuronSpec[] = [
  { name: "main", models: { "qwen3-ends": ENDS } },
  { name: "tools", models: { "qwen3-tools": ENDS }, env: { CORTEX_TEST_FORCE_TOOL_CALL: "*" } },
];

export const HELLO = "Hello there, how are you?";
export const WEATHER_PROMPT = "What is the weather in Paris?";
/** With tool_choice required and 64 tokens, qwen3-ends writes one call and is cut off in a second. */
export const CUT_PROMPT = "What is the weather in Paris and in Tokyo?";

/** Starts the client stack before the file's tests and closes it after; call the result inside a test. */
export function useClientStack(): () => TestStack {
  let stack: TestStack | undefined;
  beforeAll(async () => {
    stack = await startStack({ neurons: CLIENT_NEURONS });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });
  return () => {
    if (!stack) throw new Error("the client stack is not running");
    return stack;
  };
}
