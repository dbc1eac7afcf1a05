import Anthropic, {
  APIError,
  AuthenticationError,
  BadRequestError,
  ContentTooLargeError,
  NotFoundError,
  OverloadedError,
} from "@anthropic-ai/sdk";
import { collectSse } from "@cortex/testkit";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toWireEvents } from "./anthropic-events.js";
import { ENDS, RUNS_ON, startStack, type TestStack } from "./anthropic-stack.js";
import { CLAUDE_CODE_HEADERS } from "./claude-code-fixture.js";

/**
 * Error paths with the official SDK and raw fetch: every gateway error on an Anthropic route is
 * `{type:"error", error:{type, message}, request_id}` with Anthropic's status (docs/api-spec.md §1.7).
 * Neurons: "main" (a normal model, plus "qwen3-short" whose models.toml profile loads it with a
 * 256-token context), "tight" (memory_budget far below any model: nothing ever fits) and "doomed"
 * (killed mid-stream by one test).
 */
let stack: TestStack;
let client: Anthropic;

beforeAll(async () => {
  stack = await startStack({
    neurons: [
      { name: "main", models: { "qwen3-ends": ENDS, "qwen3-short": ENDS } },
      {
        name: "tight",
        models: { "qwen3-big": ENDS },
        config: 'context_size = 65536\nparallel = 2\nthreads = 1\nmemory_budget = "64k"\n',
      },
      { name: "doomed", models: { "llama-doomed": RUNS_ON } },
    ],
    gateway: 'default_model = "qwen3-ends"',
    models: ["[[models]]", 'id = "qwen3-short"', "context_size = 256"].join("\n"),
  });
  client = stack.anthropic();
});

afterAll(async () => {
  await stack?.close();
});

const hello: Anthropic.MessageParam[] = [{ role: "user", content: "Hello there" }];

interface ErrorBody {
  type: string;
  error: { type: string; message: string };
  request_id?: string;
}

async function expectAnthropicError(
  response: Response,
  status: number,
  type: string,
): Promise<ErrorBody["error"]> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await response.json()) as ErrorBody;
  expect(body.type).toBe("error");
  expect(body.error.type).toBe(type);
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.request_id).toMatch(/^req_/);
  expect(response.headers.get("request-id")).toBe(body.request_id);
  return body.error;
}

async function rejection(promise: Promise<unknown>): Promise<APIError> {
  const error: unknown = await promise.then(
    () => new Error("expected the request to fail"),
    (failure: unknown) => failure,
  );
  if (!(error instanceof APIError)) throw error;
  return error;
}

describe("400 invalid_request_error", () => {
  it("missing max_tokens, model or messages names the field", async () => {
    const missing = await expectAnthropicError(
      await stack.post("/v1/messages", { model: "qwen3-ends", messages: hello }),
      400,
      "invalid_request_error",
    );
    expect(missing.message).toMatch(/max_tokens/);
    for (const [field, body] of [
      ["model", { max_tokens: 10, messages: hello }],
      ["messages", { model: "qwen3-ends", max_tokens: 10 }],
    ] as const) {
      const error = await expectAnthropicError(
        await stack.post("/v1/messages", body),
        400,
        "invalid_request_error",
      );
      expect(error.message).toMatch(new RegExp(field));
    }
    // The SDK surfaces it as BadRequestError with Anthropic's error type.
    const thrown = await rejection(
      client.messages.create({ model: "qwen3-ends", messages: hello } as unknown as Parameters<
        typeof client.messages.create
      >[0] & { stream?: false }),
    );
    expect(thrown).toBeInstanceOf(BadRequestError);
    expect(thrown.type).toBe("invalid_request_error");
    expect(thrown.requestID).toMatch(/^req_/);
  });

  it("an unknown tool_choice type, or tool_choice naming a tool that does not exist", async () => {
    const tools = [{ name: "get_weather", input_schema: { type: "object" } }];
    await expectAnthropicError(
      await stack.post("/v1/messages", {
        model: "qwen3-ends",
        max_tokens: 10,
        messages: hello,
        tools,
        tool_choice: { type: "sometimes" },
      }),
      400,
      "invalid_request_error",
    );
    await expectAnthropicError(
      await stack.post("/v1/messages", {
        model: "qwen3-ends",
        max_tokens: 10,
        messages: hello,
        tools,
        tool_choice: { type: "tool", name: "nope" },
      }),
      400,
      "invalid_request_error",
    );
  });

  it("context overflow: 400 `prompt is too long: X tokens > Y maximum`, streaming or not, before any byte", async () => {
    const long: Anthropic.MessageParam[] = [
      { role: "user", content: "lorem ipsum dolor sit amet ".repeat(200) },
    ];
    const thrown = await rejection(
      client.messages.create({ model: "qwen3-short", max_tokens: 10, messages: long }),
    );
    expect(thrown).toBeInstanceOf(BadRequestError);
    expect(thrown.type).toBe("invalid_request_error");
    // Claude Code's compaction trigger: /prompt is too long[^0-9]*(\d+)\s*tokens?\s*>\s*(\d+)/i
    const match = /^prompt is too long: (\d+) tokens > (\d+) maximum$/.exec(thrown.apiMessage ?? "");
    expect(match?.[2]).toBe("256");
    expect(Number(match?.[1])).toBeGreaterThan(256);
    // A stream that fails before its first byte gets a real status, not a 200 with an error event.
    const streamed = await stack.post(
      "/v1/messages?beta=true",
      { model: "qwen3-short", max_tokens: 10, stream: true, messages: long },
      CLAUDE_CODE_HEADERS,
    );
    const error = await expectAnthropicError(streamed, 400, "invalid_request_error");
    expect(error.message).toMatch(/^prompt is too long: \d+ tokens > 256 maximum$/);
    // The OpenAI route on the same gateway: OpenAI's code and param for the same failure.
    const openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const openaiError: unknown = await openai.chat.completions
      .create({
        model: "qwen3-short",
        max_tokens: 10,
        messages: [{ role: "user", content: String(long[0]?.content) }],
      })
      .catch((failure: unknown) => failure);
    expect(openaiError).toBeInstanceOf(OpenAI.BadRequestError);
    expect(openaiError).toMatchObject({ code: "context_length_exceeded", param: "messages" });
    // count_tokens still answers for an overlong conversation (Claude Code measures before compacting).
    const counted = await client.messages.countTokens({ model: "qwen3-short", messages: long });
    expect(counted.input_tokens).toBe(Number(match?.[1]));
  });
});

describe("401 authentication_error (gateway.api_keys set)", () => {
  it("rejects missing and wrong keys; accepts x-api-key and Bearer, from the SDK's apiKey and authToken", async () => {
    const guarded = await stack.addGateway({
      gateway: 'api_keys = ["sk-right"]\ndefault_model = "qwen3-ends"',
      only: ["main"],
    });
    const post = (path: string, headers: Record<string, string>): Promise<Response> =>
      fetch(`${guarded.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ model: "qwen3-ends", max_tokens: 5, messages: hello }),
      });
    for (const path of ["/v1/messages", "/v1/messages/count_tokens?beta=true", "/anthropic/v1/messages"]) {
      await expectAnthropicError(await post(path, {}), 401, "authentication_error");
      await expectAnthropicError(await post(path, { "x-api-key": "sk-wrong" }), 401, "authentication_error");
      await expectAnthropicError(
        await post(path, { authorization: "Bearer sk-wrong" }),
        401,
        "authentication_error",
      );
      expect((await post(path, { "x-api-key": "sk-right" })).status).toBe(200);
      expect((await post(path, { authorization: "Bearer sk-right" })).status).toBe(200);
    }
    const wrong = await rejection(
      new Anthropic({ baseURL: guarded.url, apiKey: "sk-wrong", maxRetries: 0 }).messages.create({
        model: "qwen3-ends",
        max_tokens: 5,
        messages: hello,
      }),
    );
    expect(wrong).toBeInstanceOf(AuthenticationError);
    expect(wrong.type).toBe("authentication_error");
    for (const options of [{ apiKey: "sk-right" }, { apiKey: null, authToken: "sk-right" }]) {
      const sdk = new Anthropic({ baseURL: guarded.url, maxRetries: 0, ...options });
      const message = await sdk.messages.create({
        model: "claude-haiku-4-5",
        max_tokens: 5,
        messages: hello,
      });
      expect(message.type).toBe("message");
    }
    // OpenAI routes on the same gateway answer in OpenAI's envelope (checklist A5, E50).
    const openai = new OpenAI({ baseURL: `${guarded.url}/v1`, apiKey: "sk-wrong", maxRetries: 0 });
    const openaiError: unknown = await openai.chat.completions
      .create({ model: "qwen3-ends", messages: [{ role: "user", content: "hi" }], max_tokens: 5 })
      .catch((failure: unknown) => failure);
    expect(openaiError).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((openaiError as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe("invalid_api_key");
  });
});

describe("404 not_found_error", () => {
  it("an unknown model that is not a claude-* id", async () => {
    const thrown = await rejection(
      client.messages.create({ model: "gpt-nope", max_tokens: 5, messages: hello }),
    );
    expect(thrown).toBeInstanceOf(NotFoundError);
    expect(thrown.type).toBe("not_found_error");
    expect(thrown.apiMessage).toMatch(/gpt-nope/);
    const streamed = await stack.post("/v1/messages", {
      model: "gpt-nope",
      max_tokens: 5,
      stream: true,
      messages: hello,
    });
    await expectAnthropicError(streamed, 404, "not_found_error");
    await expectAnthropicError(
      await stack.post("/v1/messages/count_tokens", { model: "gpt-nope", messages: hello }),
      404,
      "not_found_error",
    );
  });

  it("an unknown path under /v1/messages answers in the Anthropic envelope", async () => {
    await expectAnthropicError(await stack.post("/v1/messages/batches", {}), 404, "not_found_error");
  });
});

describe("413 request_too_large (default body_limit 32 MiB)", () => {
  it("accepts a 31 MiB body and refuses 33 MiB on messages and count_tokens", async () => {
    const body = (mebibytes: number): string =>
      JSON.stringify({
        model: "gpt-nope",
        max_tokens: 5,
        messages: [{ role: "user", content: "a".repeat(mebibytes * 1024 * 1024) }],
      });
    // Parsed and routed (to a 404 for the unknown model): the size itself is fine.
    await expectAnthropicError(await stack.post("/v1/messages", body(31)), 404, "not_found_error");
    for (const path of ["/v1/messages", "/v1/messages/count_tokens?beta=true"]) {
      await expectAnthropicError(await stack.post(path, body(33)), 413, "request_too_large");
    }
    const thrown = await rejection(
      client.messages.create({
        model: "qwen3-ends",
        max_tokens: 5,
        messages: [{ role: "user", content: "a".repeat(33 * 1024 * 1024) }],
      }),
    );
    expect(thrown).toBeInstanceOf(ContentTooLargeError);
    expect(thrown.type).toBe("request_too_large");
  });
});

describe("529 overloaded_error", () => {
  it("when no node can fit the model (memory_budget far below it), with retry-after", async () => {
    const response = await stack.post("/v1/messages", { model: "qwen3-big", max_tokens: 5, messages: hello });
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    await expectAnthropicError(response, 529, "overloaded_error");
    const thrown = await rejection(
      client.messages.create({ model: "qwen3-big", max_tokens: 5, messages: hello }),
    );
    expect(thrown).toBeInstanceOf(OverloadedError);
    expect(thrown.status).toBe(529);
    expect(thrown.type).toBe("overloaded_error");
  });
});

describe("client disconnect", () => {
  it("aborting a stream cancels the generation on the neuron and frees its sequence", async () => {
    const doomed = stack.neurons.get("doomed");
    if (!doomed) throw new Error("no doomed neuron");
    const controller = new AbortController();
    const stream = client.messages.stream(
      { model: "llama-doomed", max_tokens: 100_000, messages: hello },
      { signal: controller.signal },
    );
    let deltas = 0;
    try {
      for await (const event of stream) {
        if (event.type === "content_block_delta" && ++deltas === 3) controller.abort();
      }
    } catch {
      // the SDK reports the abort as an error; the stream is gone either way
    }
    expect(deltas).toBeLessThan(10);
    // The neuron runs 2 sequences: both must be free again, or one of these would wait behind a ghost
    // generating 100 000 tokens.
    const after = await Promise.all(
      [1, 2].map(() => client.messages.create({ model: "llama-doomed", max_tokens: 4, messages: hello })),
    );
    expect(after.map((message) => message.usage.output_tokens)).toEqual([4, 4]);
    const metrics = await (await fetch(`${doomed.url}/metrics`)).text();
    const generated = metrics
      .split("\n")
      .filter(
        (line) => line.startsWith("cortex_neuron_completion_tokens_total{") && line.includes("llama-doomed"),
      )
      .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
    expect(generated).toBeGreaterThan(0);
    expect(generated).toBeLessThan(10_000);
  });
});

describe("failure after the 200", () => {
  it("a neuron killed mid-stream ends the stream with an SSE error event (error.type, error.message)", async () => {
    const response = await stack.post(
      "/v1/messages",
      { model: "llama-doomed", max_tokens: 100_000, stream: true, messages: hello },
      CLAUDE_CODE_HEADERS,
    );
    expect(response.status).toBe(200);
    if (!response.body) throw new Error("no body");
    const [mine, rest] = response.body.tee();
    // Kill the neuron once the first text delta arrived, then read the whole stream.
    const reader = mine.getReader();
    let seen = "";
    while (!seen.includes("text_delta")) {
      const { done, value } = await reader.read();
      if (done) throw new Error("stream ended before any text");
      seen += Buffer.from(value).toString();
    }
    await stack.neurons.get("doomed")?.stop("SIGKILL");
    void reader.cancel();
    const events = toWireEvents(await collectSse(rest));
    expect(events[0]?.event).toBe("message_start");
    const last = events.at(-1);
    expect(last?.event).toBe("error");
    expect(last?.data).toMatchObject({
      type: "error",
      error: { type: expect.stringMatching(/^(api_error|overloaded_error)$/), message: expect.any(String) },
    });
    expect(events.some((event) => event.event === "message_stop")).toBe(false);
  });
});
