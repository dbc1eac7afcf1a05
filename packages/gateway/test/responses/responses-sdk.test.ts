import type { ResponsesEvent } from "@cortex/core";
import type OpenAI from "openai";
import { AuthenticationError, BadRequestError, NotFoundError } from "openai";
import type { FunctionTool, ResponseInputItem } from "openai/resources/responses/responses";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENDS, RUNS_ON, startStack, type TestStack } from "../anthropic/anthropic-stack.js";
import { readResponsesStream, terminalOf } from "./responses-events.js";

/**
 * The official `openai` SDK's `client.responses.*` (and raw fetch where the SDK hides the wire) against a
 * real gateway in front of real neurons: "qwen3-ends" ends its replies, "llama" always runs to the token
 * limit, "qwen3-tools" lives on a neuron started with CORTEX_TEST_FORCE_TOOL_CALL=*, so every fresh
 * user turn with tools gets a real, schema-valid call, and "qwen3-thinks" on one started with
 * CORTEX_TEST_FORCE_THOUGHT=1, so every reply opens with a real thought segment (random weights never
 * think by themselves). Every stream read raw is checked against the Responses event grammar
 * (validateResponsesEvents).
 */
let stack: TestStack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startStack({
    neurons: [
      { name: "main", models: { "qwen3-ends": ENDS, llama: RUNS_ON } },
      { name: "tools", models: { "qwen3-tools": ENDS }, env: { CORTEX_TEST_FORCE_TOOL_CALL: "*" } },
      { name: "thinks", models: { "qwen3-thinks": ENDS }, env: { CORTEX_TEST_FORCE_THOUGHT: "1" } },
    ],
  });
  client = stack.openai();
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

const weather: FunctionTool = {
  type: "function",
  name: "get_weather",
  description: "Current weather for a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string", maxLength: 16 }, unit: { enum: ["celsius", "fahrenheit"] } },
    required: ["city", "unit"],
    additionalProperties: false,
  },
  strict: true,
};

async function rawStream(body: Record<string, unknown>, toolJson = false): Promise<ResponsesEvent[]> {
  return readResponsesStream(await stack.post("/v1/responses", { ...body, stream: true }), { toolJson });
}

describe("responses.create", () => {
  it("answers with a completed message, usage and ids", async () => {
    const { data, response, request_id } = await client.responses
      .create({ model: "qwen3-ends", input: "Hello there, how are you?", instructions: "Be brief." })
      .withResponse();
    expect(response.headers.get("x-cortex-node")).toBe("main");
    expect(request_id).toMatch(/^req_/);
    expect(data).toMatchObject({ object: "response", status: "completed", model: "qwen3-ends", error: null });
    expect(data.id).toMatch(/^resp_/);
    expect(data.instructions).toBe("Be brief.");
    expect(data.output_text.trim()).not.toBe("");
    const message = data.output.find((item) => item.type === "message");
    expect(message).toMatchObject({ role: "assistant", status: "completed" });
    expect(data.usage?.input_tokens).toBeGreaterThan(0);
    expect(data.usage?.output_tokens).toBeGreaterThan(0);
    expect(data.usage?.total_tokens).toBe((data.usage?.input_tokens ?? 0) + (data.usage?.output_tokens ?? 0));
  });

  it("stops a model that never ends at max_output_tokens: incomplete, and the message with it", async () => {
    const data = await client.responses.create({
      model: "llama",
      input: "Tell me a story",
      max_output_tokens: 12,
    });
    expect(data.status).toBe("incomplete");
    expect(data.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(data.usage?.output_tokens).toBe(12);
    expect(data.output.at(-1)).toMatchObject({ type: "message", status: "incomplete" });
  });

  it("structured output: text.format json_schema gives JSON of that schema", async () => {
    const data = await client.responses.create({
      model: "qwen3-ends",
      input: "Name a city and its country.",
      text: {
        format: {
          type: "json_schema",
          name: "place",
          strict: true,
          schema: {
            type: "object",
            properties: {
              city: { type: "string", maxLength: 12 },
              country: { type: "string", maxLength: 12 },
            },
            required: ["city", "country"],
            additionalProperties: false,
          },
        },
      },
    });
    const value = JSON.parse(data.output_text) as { city: unknown; country: unknown };
    expect(Object.keys(value).sort()).toEqual(["city", "country"]);
    expect(typeof value.city).toBe("string");
    expect(data.text?.format).toMatchObject({ type: "json_schema", name: "place" });
  });
});

describe("responses.stream", () => {
  it("the SDK's events add up to finalResponse(), and the raw stream follows the grammar", async () => {
    const stream = client.responses.stream({ model: "qwen3-ends", input: "Hello there, how are you?" });
    let deltas = "";
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") deltas += event.delta;
    }
    const final = await stream.finalResponse();
    expect(final.status).toBe("completed");
    // finalResponse() has no output_text (the SDK adds it only to create() answers): read the items.
    const text = final.output
      .flatMap((item) => (item.type === "message" ? item.content : []))
      .map((part) => (part.type === "output_text" ? part.text : ""))
      .join("");
    expect(text).toBe(deltas);
    expect(deltas.trim()).not.toBe("");
    expect(types.slice(0, 2)).toEqual(["response.created", "response.in_progress"]);
    expect(types.at(-1)).toBe("response.completed");

    const events = await rawStream({ model: "qwen3-ends", input: "Hello again" });
    expect(terminalOf(events).response.usage?.input_tokens).toBeGreaterThan(0);
  });

  it("a model cut by max_output_tokens ends with response.incomplete", async () => {
    const events = await rawStream({ model: "llama", input: "Tell me a story", max_output_tokens: 8 });
    const terminal = terminalOf(events);
    expect(terminal.type).toBe("response.incomplete");
    expect(terminal.response.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(terminal.response.usage?.output_tokens).toBe(8);
  });

  it("reasoning goes out as reasoning_text, or as the one summary_text when a summary is asked for", async () => {
    const thoughts: string[] = [];
    for (const reasoning of [{ effort: "low" }, { summary: "auto" }] as const) {
      const summary = "summary" in reasoning;
      const body = {
        model: "qwen3-thinks",
        input: "Think about the weather.",
        reasoning,
        max_output_tokens: 24,
      };
      // The item a thought `text` must become: nothing here summarises, so a summary is the thought itself.
      const item = (text: string): Record<string, unknown> =>
        summary
          ? { type: "reasoning", summary: [{ type: "summary_text", text }] }
          : { type: "reasoning", summary: [], content: [{ type: "reasoning_text", text }] };

      const whole = await client.responses.create(body);
      expect(whole.reasoning).toMatchObject(reasoning);
      const [first, ...rest] = whole.output;
      if (first?.type !== "reasoning") throw new Error(`the output opens with ${String(first?.type)}`);
      const thought = summary ? first.summary[0]?.text : first.content?.[0]?.text;
      expect(thought?.trim()).toBeTruthy();
      expect(first).toMatchObject(item(thought ?? ""));
      expect("content" in first).toBe(!summary);
      expect(rest.some((other) => other.type === "reasoning")).toBe(false);
      thoughts.push(thought ?? "");

      // Streamed through the SDK: the deltas of the right kind only, adding up to the same thought.
      const stream = client.responses.stream(body);
      const deltas = { reasoning_text: "", summary_text: "" };
      const done: unknown[] = [];
      for await (const event of stream) {
        if (event.type === "response.reasoning_text.delta") deltas.reasoning_text += event.delta;
        if (event.type === "response.reasoning_summary_text.delta") deltas.summary_text += event.delta;
        if (event.type === "response.output_item.done" && event.item.type === "reasoning")
          done.push(event.item);
      }
      expect(deltas).toEqual(
        summary
          ? { reasoning_text: "", summary_text: thought }
          : { reasoning_text: thought, summary_text: "" },
      );
      expect(done).toEqual([expect.objectContaining(item(thought ?? ""))]);
      expect((await stream.finalResponse()).output[0]).toMatchObject({
        type: "reasoning",
        id: (done[0] as { id: string }).id,
      });

      // Raw, the stream follows the grammar and ends with the same item.
      const events = await rawStream(body);
      expect(terminalOf(events).response.output[0]).toMatchObject(item(thought ?? ""));
    }
    // Asked for a summary, the client gets the very reasoning it would have got as reasoning_text.
    expect(thoughts[1]).toBe(thoughts[0]);
  });
});

describe("function tools", () => {
  it("a forced call streams its arguments, and the function_call_output gets an answer", async () => {
    const events = await rawStream(
      { model: "qwen3-tools", input: "What is the weather in Paris?", tools: [weather] },
      true,
    );
    const calls = terminalOf(events).response.output.filter((item) => item.type === "function_call");
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      expect(call).toMatchObject({ name: "get_weather", status: "completed" });
      const args = JSON.parse(call.arguments) as { city: string; unit: string };
      expect(["celsius", "fahrenheit"]).toContain(args.unit);
    }
    expect(events.filter((event) => event.type === "response.function_call_arguments.done").length).toBe(
      calls.length,
    );

    const answer = await client.responses.create({
      model: "qwen3-tools",
      tools: [weather],
      input: [
        { role: "user", content: "What is the weather in Paris?" },
        ...(terminalOf(events).response.output as ResponseInputItem[]),
        ...calls.map((call): ResponseInputItem => ({
          type: "function_call_output",
          call_id: call.call_id,
          output: "18 degrees, sunny",
        })),
      ],
    });
    expect(answer.status).toBe("completed");
    expect(answer.output.some((item) => item.type === "function_call")).toBe(false);
    expect(answer.output_text.trim()).not.toBe("");
  });

  it("non-streaming: distinct call ids, and tool_choice none answers in text", async () => {
    const data = await client.responses.create({
      model: "qwen3-tools",
      input: "Weather in Oslo?",
      tools: [weather],
    });
    const ids = data.output.flatMap((item) => (item.type === "function_call" ? [item.call_id] : []));
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
    const none = await client.responses.create({
      model: "qwen3-tools",
      input: "Weather in Oslo?",
      tools: [weather],
      tool_choice: "none",
    });
    expect(none.output.every((item) => item.type !== "function_call")).toBe(true);
  });

  it("hosted tools are dropped and named in x-cortex-warnings, never a 400", async () => {
    const response = await stack.post("/v1/responses", {
      model: "qwen3-ends",
      input: "hi",
      tools: [{ type: "web_search" }, { type: "file_search", vector_store_ids: ["vs_1"] }],
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-cortex-warnings")).toBe("tools[0], tools[1]");
  });
});

describe("state: store, previous_response_id, GET and DELETE", () => {
  it("continues a stored response, which GET returns and DELETE removes", async () => {
    const first = await client.responses.create({ model: "qwen3-ends", input: "My name is Ada. Say hi." });
    expect(await client.responses.retrieve(first.id)).toEqual(first);
    const second = await client.responses.create({
      model: "qwen3-ends",
      input: "What is my name?",
      previous_response_id: first.id,
    });
    expect(second.previous_response_id).toBe(first.id);
    // The second prompt holds the first turn: longer, and its prefix is reused on the neuron.
    expect(second.usage?.input_tokens).toBeGreaterThan(first.usage?.input_tokens ?? Infinity);
    expect(second.usage?.input_tokens_details.cached_tokens).toBeGreaterThanOrEqual(
      first.usage?.input_tokens ?? Infinity,
    );

    await client.responses.delete(first.id);
    await expect(client.responses.retrieve(first.id)).rejects.toBeInstanceOf(NotFoundError);
    // The second response holds the whole conversation: it still continues.
    const third = await client.responses.create({
      model: "qwen3-ends",
      input: "And again?",
      previous_response_id: second.id,
    });
    expect(third.usage?.input_tokens).toBeGreaterThan(second.usage?.input_tokens ?? Infinity);
  });

  it("store:false keeps nothing; unknown ids answer as OpenAI does", async () => {
    const unstored = await client.responses.create({ model: "qwen3-ends", input: "hi", store: false });
    await expect(client.responses.retrieve(unstored.id)).rejects.toBeInstanceOf(NotFoundError);
    const missing = await stack.post("/v1/responses", {
      model: "qwen3-ends",
      input: "hi",
      previous_response_id: unstored.id,
    });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({
      error: {
        message: `Previous response with id '${unstored.id}' not found.`,
        type: "invalid_request_error",
        param: "previous_response_id",
        code: "previous_response_not_found",
      },
    });
    const get = await fetch(`${stack.url}/v1/responses/resp_nope`);
    expect(get.status).toBe(404);
    expect(await get.json()).toMatchObject({
      error: { message: "Response with id 'resp_nope' not found.", type: "invalid_request_error" },
    });
  });

  it("a streamed response is stored once it completed", async () => {
    const events = await rawStream({ model: "qwen3-ends", input: "Stream and store." });
    const final = terminalOf(events).response;
    expect(await client.responses.retrieve(final.id)).toMatchObject({
      id: final.id,
      status: "completed",
      output: final.output,
    });
  });
});

describe("input_tokens", () => {
  it("is exact: equals the input tokens of responses.create for instructions + tools + input", async () => {
    const body = {
      model: "qwen3-ends",
      instructions: "You are terse.",
      tools: [weather],
      input: [{ role: "user" as const, content: `A fresh question ${Date.now()}: is it going to rain?` }],
    };
    const counted = await client.responses.inputTokens.count(body);
    expect(counted.object).toBe("response.input_tokens");
    const probe = await client.responses.create({ ...body, max_output_tokens: 1 });
    expect(probe.usage?.input_tokens).toBe(counted.input_tokens);
    const stream = await rawStream({ ...body, max_output_tokens: 2 });
    expect(terminalOf(stream).response.usage?.input_tokens).toBe(counted.input_tokens);
  });
});

describe("errors before the first byte: OpenAI's envelope and status", () => {
  it("400 for a bad body, 404 for an unknown model", async () => {
    await expect(client.responses.create({ input: "hi" } as never)).rejects.toBeInstanceOf(BadRequestError);
    const bad = await stack.post("/v1/responses", {
      model: "qwen3-ends",
      input: [{ role: "robot", content: "x" }],
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: { type: "invalid_request_error", param: "input[0].role" },
    });
    await expect(client.responses.create({ model: "no-such-model", input: "hi" })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it("a gateway with api_keys answers a keyless request 401 and serves the key", async () => {
    const guarded = await stack.addGateway({ gateway: 'api_keys = ["sk-responses"]' });
    const keyless = await fetch(`${guarded.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "qwen3-ends", input: "hi" }),
    });
    expect(keyless.status).toBe(401);
    expect(await keyless.json()).toMatchObject({
      error: { code: "invalid_api_key", type: "authentication_error" },
    });
    await expect(
      stack
        .openai({ baseURL: `${guarded.url}/v1`, apiKey: "wrong" })
        .responses.create({ model: "qwen3-ends", input: "hi" }),
    ).rejects.toBeInstanceOf(AuthenticationError);
    const data = await stack
      .openai({ baseURL: `${guarded.url}/v1`, apiKey: "sk-responses" })
      .responses.create({ model: "qwen3-ends", input: "hi" });
    expect(data.status).toBe("completed");
  });
});

describe("metrics", () => {
  it("counts Responses requests under their own dialect", async () => {
    expect(
      await stack.metric("cortex_gateway_requests_total", { dialect: "responses", status: "200" }),
    ).toBeGreaterThan(0);
  });
});
