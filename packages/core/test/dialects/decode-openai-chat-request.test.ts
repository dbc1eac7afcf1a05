import { describe, expect, it } from "vitest";
import { decodeOpenAIChatRequest } from "../../src/dialects/index.js";
import { CortexError } from "../../src/errors/index.js";

function errorOf(body: unknown): CortexError {
  try {
    decodeOpenAIChatRequest(body);
  } catch (error) {
    if (error instanceof CortexError) return error;
    throw error;
  }
  throw new Error("expected the request to be rejected");
}

const user = { role: "user", content: "hi" };

describe("decodeOpenAIChatRequest", () => {
  it("maps every role and content shape", () => {
    const { value, warnings } = decodeOpenAIChatRequest({
      model: "qwen3-8b",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "developer", content: [{ type: "text", text: "Use tools." }] },
        {
          role: "user",
          content: [
            { type: "text", text: "What is in this picture?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "low" } },
          ],
          name: "alice",
        },
        {
          role: "assistant",
          content: null,
          reasoning_content: "Look at the file first.",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "read", arguments: '{"path":"/a"}' } },
          ],
        },
        {
          role: "tool",
          tool_call_id: "call_1",
          content: [
            { type: "text", text: "line 1" },
            { type: "text", text: "line 2" },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "text", text: "It says" },
            { type: "text", text: "two lines." },
          ],
        },
        { role: "user", content: "Thanks", some_future_field: true },
      ],
      tools: [
        {
          type: "function",
          function: {
            name: "read",
            description: "Read a file",
            parameters: { type: "object" },
            strict: true,
          },
        },
      ],
      tool_choice: { type: "function", function: { name: "read" } },
      parallel_tool_calls: false,
      max_tokens: 100,
      max_completion_tokens: 200,
      stop: "END",
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      seed: 7,
      n: 1,
      response_format: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object" } } },
      reasoning_effort: "low",
      stream: true,
      stream_options: { include_usage: true },
      user: "u-1",
      store: false,
    });
    expect(warnings).toEqual([]);
    expect(value).toMatchInlineSnapshot(`
      {
        "includeUsage": true,
        "maxTokens": 200,
        "messages": [
          {
            "content": "You are terse.

      Use tools.",
            "role": "system",
          },
          {
            "content": [
              {
                "text": "What is in this picture?",
                "type": "text",
              },
              {
                "type": "image",
                "url": "data:image/png;base64,iVBORw0KGgo=",
              },
            ],
            "role": "user",
          },
          {
            "content": "",
            "reasoning": "Look at the file first.",
            "role": "assistant",
            "toolCalls": [
              {
                "arguments": "{"path":"/a"}",
                "id": "call_1",
                "name": "read",
              },
            ],
          },
          {
            "content": "line 1
      line 2",
            "role": "tool",
            "toolCallId": "call_1",
          },
          {
            "content": "It says
      two lines.",
            "role": "assistant",
            "toolCalls": [],
          },
          {
            "content": [
              {
                "text": "Thanks",
                "type": "text",
              },
            ],
            "role": "user",
          },
        ],
        "model": "qwen3-8b",
        "parallelToolCalls": false,
        "reasoningEffort": "low",
        "responseFormat": {
          "name": "answer",
          "schema": {
            "type": "object",
          },
          "type": "json_schema",
        },
        "seed": 7,
        "stop": [
          "END",
        ],
        "stream": true,
        "temperature": 0.2,
        "toolChoice": {
          "name": "read",
          "type": "tool",
        },
        "tools": [
          {
            "description": "Read a file",
            "name": "read",
            "parameters": {
              "type": "object",
            },
            "strict": true,
          },
        ],
        "topK": 40,
        "topP": 0.9,
      }
    `);
  });

  it("fills defaults for a minimal request", () => {
    const { value } = decodeOpenAIChatRequest({ model: "m", messages: [user] });
    expect(value).toEqual({
      model: "m",
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
      tools: [],
      toolChoice: { type: "auto" },
      parallelToolCalls: true,
      stop: [],
      responseFormat: { type: "text" },
      stream: false,
      includeUsage: false,
    });
  });

  it("accepts null for optional fields, as many clients send", () => {
    const { value } = decodeOpenAIChatRequest({
      model: "m",
      messages: [user],
      temperature: null,
      max_tokens: null,
      stop: null,
      tools: null,
      tool_choice: null,
      stream_options: null,
    });
    expect(value.temperature).toBeUndefined();
    expect(value.stop).toEqual([]);
  });

  it("folds a mid-conversation system message into a <system-reminder> and says so", () => {
    const { value, warnings } = decodeOpenAIChatRequest({
      model: "m",
      messages: [user, { role: "system", content: "Be brief." }, { role: "assistant", content: "ok" }],
    });
    expect(value.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "hi" },
          { type: "text", text: "<system-reminder>\nBe brief.\n</system-reminder>" },
        ],
      },
      { role: "assistant", content: "ok", toolCalls: [] },
    ]);
    expect(warnings).toEqual([
      "messages[1]: mid-conversation system message sent as a <system-reminder> user text",
    ]);
  });

  it("warns about sampling options it drops, and drops top_k ≤ 0", () => {
    const { value, warnings } = decodeOpenAIChatRequest({
      model: "m",
      messages: [user],
      frequency_penalty: 0.5,
      presence_penalty: 0,
      logit_bias: { "42": 1 },
      top_k: -1,
      stop: ["", "x"],
    });
    expect(value.topK).toBeUndefined();
    expect(value.stop).toEqual(["x"]);
    expect(warnings).toEqual([
      "frequency_penalty: not supported; ignored",
      "logit_bias: not supported; ignored",
      "stop: empty stop sequences ignored",
    ]);
  });

  it("converts object arguments and file parts with a warning", () => {
    const { value, warnings } = decodeOpenAIChatRequest({
      model: "m",
      messages: [
        { role: "user", content: [{ type: "file", file: { filename: "a.pdf", file_data: "data:..." } }] },
        {
          role: "assistant",
          content: "",
          tool_calls: [{ id: "c", function: { name: "f", arguments: { a: 1 } } }],
        },
      ],
    });
    expect(value.messages[1]).toMatchObject({ toolCalls: [{ arguments: '{"a":1}' }] });
    expect(warnings).toEqual([
      "messages[0].content[0]: file input is not supported; replaced with a placeholder text",
      "messages[1].tool_calls[0].function.arguments: object converted to a JSON string",
    ]);
  });

  it("takes what Anthropic clients may send beyond OpenAI's limits (5 stops, a 73-character MCP name)", () => {
    const body = {
      model: "m",
      messages: [user],
      stop: ["a", "b", "c", "d", "e"],
      tools: [{ type: "function", function: { name: `mcp__server__${"x".repeat(60)}` } }],
    };
    const { value } = decodeOpenAIChatRequest(body);
    expect(value.stop).toHaveLength(5);
    expect(value.tools[0]?.name).toHaveLength(73);
  });

  it("caps stop sequences at 16 of at most 256 characters", () => {
    const many = { model: "m", messages: [user], stop: Array.from({ length: 17 }, (_, i) => `s${i}`) };
    expect(errorOf(many).message).toBe("stop: at most 16 stop sequences are allowed, got 17");
    const long = { model: "m", messages: [user], stop: ["ok", "x".repeat(257)] };
    expect(errorOf(long)).toMatchObject({
      param: "stop",
      message: expect.stringMatching(/stop\[1\]/),
    });
    expect(errorOf({ model: "m", messages: [user], stop: "y".repeat(257) }).param).toBe("stop");
    expect(decodeOpenAIChatRequest({ ...many, stop: many.stop.slice(0, 16) }).value.stop).toHaveLength(16);
  });

  it.each([
    [{ messages: [user] }, "model", "model: Field required"],
    [{ model: "m", messages: [] }, "messages", "messages: Too small: expected array to have >=1 items"],
    [
      { model: "m", messages: [user, { role: "function", name: "f", content: "x" }] },
      "messages[1].role",
      'messages[1].role: the legacy "function" role is not supported; send tool results as {role:"tool", tool_call_id, content}',
    ],
    [
      { model: "m", messages: [{ role: "robot", content: "x" }] },
      "messages[0].role",
      "messages[0].role: Invalid discriminator value. Expected 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function'",
    ],
    [
      {
        model: "m",
        messages: [
          user,
          { role: "assistant", content: "x" },
          {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: 5 } }],
          },
        ],
      },
      "messages[2].tool_calls[0].function.arguments",
      "messages[2].tool_calls[0].function.arguments: Invalid input: expected string or record",
    ],
    [
      { model: "m", messages: [{ role: "user", content: [{ type: "text", text: 1 }] }] },
      "messages[0].content[0].text",
      "messages[0].content[0].text: Invalid input: expected string, received number",
    ],
    [
      { model: "m", messages: [{ role: "tool", content: "x" }] },
      "messages[0].tool_call_id",
      "messages[0].tool_call_id: Field required",
    ],
    [{ model: "m", messages: [user], n: 2 }, "n", "n: only 1 is supported, got 2"],
    [{ model: "m", messages: [user], logprobs: true }, "logprobs", "logprobs: logprobs are not supported"],
    [
      { model: "m", messages: [user], functions: [] },
      "functions",
      "functions: legacy functions are not supported; use tools and tool_choice",
    ],
    [
      { model: "m", messages: [user], temperature: 3 },
      "temperature",
      "temperature: Too big: expected number to be <=2",
    ],
    [
      { model: "m", messages: [user], stop: Array.from({ length: 17 }, (_, index) => String(index)) },
      "stop",
      "stop: at most 16 stop sequences are allowed, got 17",
    ],
    [
      { model: "m", messages: [user], tool_choice: "required" },
      "tool_choice",
      'tool_choice: "required" requires tools to be specified',
    ],
    [
      {
        model: "m",
        messages: [user],
        tools: [{ type: "function", function: { name: "a" } }],
        tool_choice: { type: "function", function: { name: "b" } },
      },
      "tool_choice.function.name",
      'tool_choice.function.name: no tool named "b" in tools',
    ],
    [
      { model: "m", messages: [user], tools: [{ type: "custom", custom: { name: "a" } }] },
      "tools[0].type",
      'tools[0].type: only "function" tools are supported, got "custom"',
    ],
    [
      { model: "m", messages: [user], tools: [{ type: "function", function: { name: "has space" } }] },
      "tools[0].function.name",
      'tools[0].function.name: must match ^[a-zA-Z0-9_.:-]{1,256}$, got "has space"',
    ],
    [
      {
        model: "m",
        messages: [
          { role: "user", content: [{ type: "image_url", image_url: { url: "file:///etc/passwd" } }] },
        ],
      },
      "messages[0].content[0].image_url.url",
      "messages[0].content[0].image_url.url: must be an http(s) URL or a data:image/… URL",
    ],
    [
      { model: "m", messages: [{ role: "user", content: [{ type: "input_audio", input_audio: {} }] }] },
      "messages[0].content[0].type",
      "messages[0].content[0].type: audio input is not supported",
    ],
    ["not an object", "body", "body: Invalid input: expected object, received string"],
  ])("rejects %j naming %s", (body, param, message) => {
    const error = errorOf(body);
    expect(error.code).toBe("invalid_request");
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
    expect(error.message).toBe(message);
  });
});
