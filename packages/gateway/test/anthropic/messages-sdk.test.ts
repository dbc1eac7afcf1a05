import type Anthropic from "@anthropic-ai/sdk";
import { collectSse } from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectWellFormedStream,
  messageDelta,
  streamedJson,
  textOf,
  toWireEvents,
  type WireEvent,
} from "./anthropic-events.js";
import { ENDS, RUNS_ON, startStack, type TestStack } from "./anthropic-stack.js";
import { CLAUDE_CODE_HEADERS, claudeCodeRequest } from "./claude-code-fixture.js";

/**
 * The official @anthropic-ai/sdk (and raw fetch where the SDK hides the wire) against a real gateway in
 * front of real neurons: "qwen3-ends" ends its replies, "llama" always runs to max_tokens, and
 * "qwen3-tools" lives on a neuron started with CORTEX_TEST_FORCE_TOOL_CALL=*, so every fresh user turn
 * with tools gets a real, schema-valid tool call.
 */
let stack: TestStack;
let client: Anthropic;

beforeAll(async () => {
  stack = await startStack({
    neurons: [
      { name: "main", models: { "qwen3-ends": ENDS, llama: RUNS_ON } },
      { name: "tools", models: { "qwen3-tools": ENDS }, env: { CORTEX_TEST_FORCE_TOOL_CALL: "*" } },
    ],
    gateway: 'default_model = "qwen3-ends"',
    models: ["[[models]]", 'id = "llama"', 'aliases = ["claude-haiku-*", "runs-on"]'].join("\n"),
  });
  client = stack.anthropic();
});

afterAll(async () => {
  await stack?.close();
});

const hello: Anthropic.MessageParam[] = [{ role: "user", content: "Hello there, how are you?" }];
const TOOL_ID = /^[a-zA-Z0-9_-]+$/;
const weatherTool: Anthropic.Tool = {
  name: "get_weather",
  description: "Current weather for a city",
  input_schema: {
    type: "object",
    properties: { city: { type: "string", maxLength: 16 }, unit: { enum: ["celsius", "fahrenheit"] } },
    required: ["city", "unit"],
  },
};

async function rawStream(body: Record<string, unknown>, path = "/v1/messages"): Promise<WireEvent[]> {
  const response = await stack.post(path, { ...body, stream: true }, CLAUDE_CODE_HEADERS);
  expect(response.status).toBe(200);
  return toWireEvents(await collectSse(response.body));
}

describe("messages.create (non-streaming)", () => {
  it("an ending model answers with text blocks, end_turn, usage and a req_ request id", async () => {
    const { data, response, request_id } = await client.messages
      .create({ model: "qwen3-ends", max_tokens: 200, messages: hello })
      .withResponse();
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(request_id).toMatch(/^req_/);
    expect(data.id).toMatch(/^msg_[A-Za-z0-9_-]+$/);
    expect(data).toMatchObject({ type: "message", role: "assistant", model: "qwen3-ends" });
    expect(data.stop_reason).toBe("end_turn");
    expect(data.stop_sequence).toBeNull();
    expect(data.content.length).toBeGreaterThan(0);
    for (const block of data.content) {
      expect(block.type).toBe("text");
      if (block.type === "text") expect(block.text.trim()).not.toBe("");
    }
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(data.usage.output_tokens).toBeLessThan(200);
    expect(data.usage.cache_creation_input_tokens).toBe(0);
    expect(data.usage.cache_read_input_tokens).toEqual(expect.any(Number));
  });

  it("a model that never ends stops with max_tokens after exactly max_tokens tokens", async () => {
    const message = await client.messages.create({ model: "llama", max_tokens: 9, messages: hello });
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.usage.output_tokens).toBe(9);
    expect(message.content[0]?.type).toBe("text");
  });

  it("a stop sequence that ended generation gives stop_reason stop_sequence and the sequence", async () => {
    // Greedy decoding is deterministic: cut the known reply at a 3-character sequence from its middle.
    const full = await client.messages.create({ model: "llama", max_tokens: 24, messages: hello });
    const text = full.content[0]?.type === "text" ? full.content[0].text : "";
    const sequence = text.slice(Math.floor(text.length / 2), Math.floor(text.length / 2) + 3);
    expect(sequence).toHaveLength(3);
    const stopped = await client.messages.create({
      model: "llama",
      max_tokens: 24,
      stop_sequences: [sequence],
      messages: hello,
    });
    expect(stopped.stop_reason).toBe("stop_sequence");
    expect(stopped.stop_sequence).toBe(sequence);
    const stoppedText = stopped.content[0]?.type === "text" ? stopped.content[0].text : "<none>";
    expect(text.startsWith(stoppedText)).toBe(true);
    expect(stoppedText).not.toContain(sequence);
  });
});

describe("messages.stream", () => {
  it("the SDK helper's text events add up to finalMessage(), with end_turn and usage", async () => {
    const stream = client.messages.stream({ model: "qwen3-ends", max_tokens: 200, messages: hello });
    let text = "";
    stream.on("text", (delta) => {
      text += delta;
    });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe("end_turn");
    expect(final.model).toBe("qwen3-ends");
    const blocks = final.content.filter((block) => block.type === "text");
    expect(blocks.map((block) => block.text).join("")).toBe(text);
    expect(text.trim()).not.toBe("");
    // A repeated prompt comes from the neuron's prefix cache: input_tokens excludes cached tokens.
    expect(final.usage.input_tokens + (final.usage.cache_read_input_tokens ?? Number.NaN)).toBeGreaterThan(0);
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it("raw SSE: event lines, message_start usage, contiguous blocks, message_delta usage, message_stop", async () => {
    // accept: application/json and accept-encoding: gzip, as Claude Code sends on streams (D9, D32).
    const response = await stack.post(
      "/v1/messages",
      { model: "llama", max_tokens: 12, stream: true, messages: hello },
      CLAUDE_CODE_HEADERS,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(response.headers.get("request-id")).toMatch(/^req_/);
    const messages = await collectSse(response.body);
    expect(messages.every((message) => message.event !== undefined)).toBe(true);
    const events = toWireEvents(messages);
    const blocks = expectWellFormedStream(events);
    expect(blocks.every((block) => block.start.type === "text" && block.start.text === "")).toBe(true);
    expect(blocks.map(textOf).join("").trim()).not.toBe("");
    const delta = messageDelta(events);
    expect(delta.delta).toEqual({ stop_reason: "max_tokens", stop_sequence: null });
    expect(delta.usage.output_tokens).toBe(12);
    expect(delta.usage.input_tokens + delta.usage.cache_read_input_tokens).toBeGreaterThan(0);
  });
});

describe("tool use", () => {
  it("a forced call streams tool_use input only as input_json_delta; its tool_result gets an end_turn answer", async () => {
    const request = {
      model: "qwen3-tools",
      max_tokens: 300,
      tools: [weatherTool],
      messages: [{ role: "user" as const, content: "What is the weather in Paris?" }],
    };
    const stream = client.messages.stream(request);
    const starts: Anthropic.ContentBlockStartEvent[] = [];
    const json = new Map<number, string>();
    for await (const event of stream) {
      if (event.type === "content_block_start") starts.push(event);
      if (event.type === "content_block_delta" && event.delta.type === "input_json_delta") {
        json.set(event.index, (json.get(event.index) ?? "") + event.delta.partial_json);
      }
    }
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    const uses = final.content.filter((block) => block.type === "tool_use");
    expect(uses.length).toBeGreaterThan(0);
    for (const start of starts.filter((event) => event.content_block.type === "tool_use")) {
      // Claude Code ignores input in content_block_start: it must be empty there.
      expect(start.content_block).toMatchObject({ type: "tool_use", name: "get_weather", input: {} });
      const input = JSON.parse(json.get(start.index) ?? "") as { city: string; unit: string };
      expect(typeof input.city).toBe("string");
      expect(["celsius", "fahrenheit"]).toContain(input.unit);
      expect(final.content[start.index]).toMatchObject({ type: "tool_use", input });
    }
    for (const use of uses) expect(use.id).toMatch(TOOL_ID);
    expect(new Set(uses.map((use) => use.id)).size).toBe(uses.length);

    const answer = await client.messages.create({
      ...request,
      messages: [
        ...request.messages,
        { role: "assistant", content: final.content },
        {
          role: "user",
          content: uses.map((use) => ({
            type: "tool_result" as const,
            tool_use_id: use.id,
            content: "18 degrees and sunny",
          })),
        },
      ],
    });
    expect(answer.stop_reason).toBe("end_turn");
    expect(answer.content.every((block) => block.type === "text")).toBe(true);
    expect(answer.content.length).toBeGreaterThan(0);
  });

  it("parallel calls cut off by max_tokens: max_tokens in both modes, and create() holds what stream().finalMessage() assembles", async () => {
    const request: Anthropic.MessageCreateParamsNonStreaming = {
      model: "qwen3-ends",
      max_tokens: 64,
      tool_choice: { type: "any" },
      tools: [{ ...weatherTool, input_schema: { type: "object", properties: { city: { type: "string" } } } }],
      messages: [{ role: "user", content: "What is the weather in Paris and in Tokyo?" }],
    };
    const created = await client.messages.create(request);
    const final = await client.messages.stream(request).finalMessage();
    expect([created.stop_reason, final.stop_reason]).toEqual(["max_tokens", "max_tokens"]);
    expect(created.usage.output_tokens).toBe(64);
    const uses = (message: Anthropic.Message) =>
      message.content.flatMap((block) => (block.type === "tool_use" ? [[block.name, block.input]] : []));
    expect(uses(created).length).toBeGreaterThan(0);
    // The cut call's input is what was complete, exactly as the SDK reads the same call streamed.
    expect(uses(created)).toEqual(uses(final));
    const events = await rawStream({ ...request });
    const blocks = expectWellFormedStream(events);
    expect(messageDelta(events).delta.stop_reason).toBe("max_tokens");
    // Streamed, the cut call's input is the text generated so far, not repaired into JSON.
    expect(() => JSON.parse(streamedJson(blocks.at(-1)!)) as unknown).toThrow();
  });

  it("non-streaming forced calls: object inputs, distinct valid ids, stop_reason tool_use", async () => {
    const message = await client.messages.create({
      model: "qwen3-tools",
      max_tokens: 300,
      tools: [weatherTool],
      messages: hello,
    });
    expect(message.stop_reason).toBe("tool_use");
    const uses = message.content.filter((block) => block.type === "tool_use");
    expect(uses.length).toBeGreaterThan(0);
    for (const use of uses) {
      expect(use.id).toMatch(TOOL_ID);
      expect(use.name).toBe("get_weather");
      expect(typeof use.input).toBe("object");
      expect(["celsius", "fahrenheit"]).toContain((use.input as { unit: string }).unit);
    }
    expect(new Set(uses.map((use) => use.id)).size).toBe(uses.length);
  });

  it("raw SSE of parallel calls: one block per call with contiguous indexes", async () => {
    const events = await rawStream({
      model: "qwen3-tools",
      max_tokens: 300,
      tools: [weatherTool],
      messages: hello,
    });
    const blocks = expectWellFormedStream(events);
    const tools = blocks.filter((block) => block.start.type === "tool_use");
    // Parallel calls are allowed (no disable_parallel_tool_use); the forced model makes several.
    expect(tools.length).toBeGreaterThan(1);
    expect(new Set(tools.map((block) => block.start.id)).size).toBe(tools.length);
    for (const block of tools) {
      expect(block.start.input).toEqual({});
      expect(JSON.parse(streamedJson(block))).toMatchObject({ city: expect.any(String) });
    }
    expect(messageDelta(events).delta.stop_reason).toBe("tool_use");
  });

  it("tool_choice forces a call on a plain neuron (tool, any with disable_parallel_tool_use); none answers in text", async () => {
    const named = await client.messages.create({
      model: "qwen3-ends",
      max_tokens: 300,
      tools: [weatherTool],
      tool_choice: { type: "tool", name: "get_weather" },
      messages: hello,
    });
    expect(named.stop_reason).toBe("tool_use");
    expect(named.content.some((block) => block.type === "tool_use" && block.name === "get_weather")).toBe(
      true,
    );
    const any = await client.messages.create({
      model: "qwen3-ends",
      max_tokens: 300,
      tools: [weatherTool],
      tool_choice: { type: "any", disable_parallel_tool_use: true },
      messages: hello,
    });
    expect(any.stop_reason).toBe("tool_use");
    expect(any.content.filter((block) => block.type === "tool_use")).toHaveLength(1);
    const none = await client.messages.create({
      model: "qwen3-tools",
      max_tokens: 200,
      tools: [weatherTool],
      tool_choice: { type: "none" },
      messages: hello,
    });
    expect(none.stop_reason).toBe("end_turn");
    expect(none.content.every((block) => block.type === "text")).toBe(true);
  });

  it("a Claude Code history (image tool_result, is_error, 2 results in one turn) is answered and counted exactly; MCP names over 64 chars round-trip", async () => {
    const mcp = `mcp__my-server__${"a_really_long_tool_name_".repeat(4)}`;
    expect(mcp.length).toBeGreaterThan(64);
    const tools: Anthropic.Tool[] = [
      { name: mcp, input_schema: { type: "object", properties: { q: { type: "string" } }, required: ["q"] } },
      weatherTool,
    ];
    const named = await client.messages.create({
      model: "qwen3-ends",
      max_tokens: 200,
      tools,
      tool_choice: { type: "tool", name: mcp },
      messages: hello,
    });
    expect(named.content.find((block) => block.type === "tool_use")).toMatchObject({ name: mcp });
    const png =
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    const history: Anthropic.MessageParam[] = [
      { role: "user", content: "Look at the screenshot and the weather." },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Reading both." },
          { type: "tool_use", id: "toolu_01A", name: mcp, input: { q: "shot.png" } },
          {
            type: "tool_use",
            id: "toolu_01B",
            name: "get_weather",
            input: { city: "Paris", unit: "celsius" },
          },
        ],
      },
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "toolu_01A",
            content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: png } }],
          },
          { type: "tool_result", tool_use_id: "toolu_01B", content: "network unreachable", is_error: true },
          { type: "text", text: "What do you see?", cache_control: { type: "ephemeral" } },
        ],
      },
    ];
    const answer = await client.messages.create({
      model: "qwen3-ends",
      max_tokens: 100,
      tools,
      messages: history,
    });
    expect(answer.content.length).toBeGreaterThan(0);
    expect(["end_turn", "tool_use"]).toContain(answer.stop_reason);
    const counted = await client.messages.countTokens({ model: "qwen3-ends", tools, messages: history });
    expect(answer.usage.input_tokens + (answer.usage.cache_read_input_tokens ?? Number.NaN)).toBe(
      counted.input_tokens,
    );
  });
});

describe("count_tokens", () => {
  const system = "You are a terse assistant that answers about the weather.";

  it("is exact: equals the prompt tokens of messages.create (max_tokens 1 probe and stream) for system + tools + messages", async () => {
    const messages: Anthropic.MessageParam[] = [
      { role: "user", content: `A fresh question ${Date.now()}: is it going to rain?` },
    ];
    const counted = await client.messages.countTokens({
      model: "qwen3-ends",
      system,
      tools: [weatherTool],
      messages,
    });
    const probe = await client.messages.create({
      model: "qwen3-ends",
      max_tokens: 1,
      system,
      tools: [weatherTool],
      messages,
    });
    expect(probe.usage.output_tokens).toBeLessThanOrEqual(1);
    expect(probe.usage.input_tokens + (probe.usage.cache_read_input_tokens ?? Number.NaN)).toBe(
      counted.input_tokens,
    );
    const streamed = await client.messages
      .stream({ model: "qwen3-ends", max_tokens: 5, system, tools: [weatherTool], messages })
      .finalMessage();
    expect(streamed.usage.input_tokens + (streamed.usage.cache_read_input_tokens ?? Number.NaN)).toBe(
      counted.input_tokens,
    );

    // tool_choice none: the model generates without the tools, and the count says so.
    const unforced = { model: "qwen3-ends", system, tools: [weatherTool], messages };
    const none = await client.messages.countTokens({ ...unforced, tool_choice: { type: "none" } });
    const noneProbe = await client.messages.create({
      ...unforced,
      max_tokens: 1,
      tool_choice: { type: "none" },
    });
    expect(noneProbe.usage.input_tokens + (noneProbe.usage.cache_read_input_tokens ?? Number.NaN)).toBe(
      none.input_tokens,
    );

    // System and tools are part of the count, not just the message text.
    const bare = await client.messages.countTokens({ model: "qwen3-ends", messages });
    const withSystem = await client.messages.countTokens({ model: "qwen3-ends", system, messages });
    expect(withSystem.input_tokens).toBeGreaterThan(bare.input_tokens);
    expect(counted.input_tokens).toBeGreaterThan(withSystem.input_tokens);
  });

  it("answers under ?beta=true and the /anthropic prefix, for Claude Code's /context shape", async () => {
    const body = {
      model: "claude-sonnet-5",
      messages: [{ role: "user", content: "foo" }],
      tools: [weatherTool],
    };
    const counts: number[] = [];
    for (const path of [
      "/v1/messages/count_tokens",
      "/v1/messages/count_tokens?beta=true",
      "/anthropic/v1/messages/count_tokens?beta=true",
    ]) {
      const response = await stack.post(path, body, {
        ...CLAUDE_CODE_HEADERS,
        "anthropic-beta": `${CLAUDE_CODE_HEADERS["anthropic-beta"]},token-counting-2024-11-01`,
      });
      expect(response.status).toBe(200);
      const json = (await response.json()) as { input_tokens: number };
      expect(Object.keys(json)).toEqual(["input_tokens"]);
      counts.push(json.input_tokens);
    }
    expect(counts[0]).toBeGreaterThan(0);
    expect(new Set(counts).size).toBe(1);
  });
});

describe("routes and model ids", () => {
  it("?beta=true and unknown query parameters route like /v1/messages", async () => {
    for (const path of ["/v1/messages?beta=true", "/v1/messages?beta=true&foo=bar"]) {
      const response = await stack.post(path, { model: "qwen3-ends", max_tokens: 50, messages: hello });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { type: string }).type).toBe("message");
    }
  });

  it("serves the SDK under a base URL with a path prefix (/anthropic/v1/messages)", async () => {
    const prefixed = stack.anthropic({ baseURL: `${stack.url}/anthropic` });
    const message = await prefixed.messages.create({ model: "qwen3-ends", max_tokens: 100, messages: hello });
    expect(message.stop_reason).toBe("end_turn");
    const final = await prefixed.messages
      .stream({ model: "qwen3-ends", max_tokens: 100, messages: hello })
      .finalMessage();
    expect(final.stop_reason).toBe("end_turn");
    const counted = await prefixed.messages.countTokens({ model: "qwen3-ends", messages: hello });
    expect(counted.input_tokens).toBeGreaterThan(0);
  });

  it("resolves claude-haiku-* through the models.toml wildcard alias and echoes the requested id", async () => {
    expect(stack.gateway.context.resolveModel("claude-haiku-4-5-20251001").id).toBe("llama");
    const before = await stack.metric("cortex_gateway_requests_total", {
      model: "llama",
      dialect: "anthropic",
    });
    const message = await client.messages.create({
      model: "claude-haiku-4-5-20251001",
      max_tokens: 7,
      messages: hello,
    });
    expect(message.model).toBe("claude-haiku-4-5-20251001");
    // Only the llama model runs on to max_tokens; the default model would end its reply.
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.usage.output_tokens).toBe(7);
    const after = await stack.metric("cortex_gateway_requests_total", {
      model: "llama",
      dialect: "anthropic",
    });
    expect(after).toBe(before + 1);
  });

  it("sends unknown claude-* ids to gateway.default_model", async () => {
    const before = await stack.metric("cortex_gateway_requests_total", {
      model: "qwen3-ends",
      dialect: "anthropic",
    });
    for (const model of ["claude-opus-4-8", "claude-sonnet-5"]) {
      const final = await client.messages.stream({ model, max_tokens: 200, messages: hello }).finalMessage();
      expect(final.model).toBe(model);
      expect(final.stop_reason).toBe("end_turn");
    }
    const after = await stack.metric("cortex_gateway_requests_total", {
      model: "qwen3-ends",
      dialect: "anthropic",
    });
    expect(after).toBe(before + 2);
  });

  it("accepts Claude Code and SDK headers: many betas, x-stainless-*, x-app, any or no anthropic-version", async () => {
    const variants: Record<string, string>[] = [
      CLAUDE_CODE_HEADERS,
      { "content-type": "application/json" },
      { "content-type": "application/json", "anthropic-version": "2026-10-21", authorization: "Bearer k" },
      { "content-type": "application/json", "anthropic-beta": "some-future-beta-2030-01-01,another-one" },
    ];
    for (const headers of variants) {
      const response = await fetch(`${stack.url}/v1/messages`, {
        method: "POST",
        headers,
        body: JSON.stringify({ model: "qwen3-ends", max_tokens: 30, messages: hello }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("request-id")).toMatch(/^req_/);
    }
    // The same header sent twice (as some proxies and SDKs do) instead of comma-joined.
    const repeated = new Headers({ "content-type": "application/json" });
    repeated.append("anthropic-beta", "claude-code-20250219");
    repeated.append("anthropic-beta", "context-management-2025-06-27");
    const response = await fetch(`${stack.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: repeated,
      body: JSON.stringify({ model: "qwen3-ends", max_tokens: 30, messages: hello }),
    });
    expect(response.status).toBe(200);
  });
});

describe("a Claude Code request", () => {
  it("streams end to end through /anthropic/v1/messages?beta=true with Claude Code's headers", async () => {
    const request = claudeCodeRequest();
    expect(request.tools).toHaveLength(24);
    const events = await rawStream(request, "/anthropic/v1/messages?beta=true");
    const blocks = expectWellFormedStream(events);
    expect(events[0]?.data.message.model).toBe(request.model);
    for (const block of blocks) {
      if (block.start.type === "text") expect(textOf(block).trim()).not.toBe("");
    }
    expect(["end_turn", "tool_use"]).toContain(messageDelta(events).delta.stop_reason);
  });

  it("non-streaming fallback (stream omitted) and count_tokens agree on its input tokens", async () => {
    const { stream: _stream, max_tokens: _max, metadata: _metadata, ...countable } = claudeCodeRequest();
    const counted = await stack.post("/v1/messages/count_tokens?beta=true", countable, CLAUDE_CODE_HEADERS);
    expect(counted.status).toBe(200);
    const { input_tokens: count } = (await counted.json()) as { input_tokens: number };
    const { stream: _omitted, ...fallback } = claudeCodeRequest();
    const response = await stack.post("/v1/messages?beta=true", fallback, CLAUDE_CODE_HEADERS);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const message = (await response.json()) as Anthropic.Message;
    expect(message.type).toBe("message");
    expect(message.content.length).toBeGreaterThan(0);
    expect(message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? Number.NaN)).toBe(count);
    // The fixture is a few thousand tokens: far more than the messages' text alone.
    expect(count).toBeGreaterThan(2000);
  });

  it("accepts every thinking shape, sampling fields, empty text and echoed thinking in history", async () => {
    const history = [
      {
        role: "user",
        content: [{ type: "text", text: "Hi", cache_control: { type: "ephemeral", ttl: "1h" } }],
      },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "Let me think.", signature: "" },
          { type: "redacted_thinking", data: "opaque" },
          { type: "text", text: "" },
          { type: "text", text: "Hello!" },
        ],
      },
      { role: "user", content: "And now?" },
      { role: "system", content: "The user switched output style." },
    ];
    const shapes = [
      { thinking: { type: "adaptive" }, output_config: { effort: "high" } },
      { thinking: { type: "enabled", budget_tokens: 31999 } },
      { thinking: { type: "disabled" }, temperature: 1 },
      { temperature: 0.5, top_p: 0.9, top_k: 40, stop_sequences: ["\n\n\n\n"] },
      {
        service_tier: "auto",
        speed: "fast",
        container: null,
        diagnostics: {},
        cache_control: { type: "ephemeral" },
      },
    ];
    for (const shape of shapes) {
      const response = await stack.post(
        "/v1/messages?beta=true",
        {
          model: "claude-sonnet-5",
          max_tokens: 64,
          messages: history,
          metadata: { user_id: JSON.stringify({ device_id: "d", account_uuid: "", session_id: "s" }) },
          context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
          ...shape,
        },
        CLAUDE_CODE_HEADERS,
      );
      expect(response.status, JSON.stringify(shape)).toBe(200);
      expect(((await response.json()) as Anthropic.Message).content.length).toBeGreaterThan(0);
    }
  });
});
