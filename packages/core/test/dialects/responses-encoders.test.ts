import { describe, expect, it } from "vitest";
import type { CanonicalChatResponse, ChatStreamEvent } from "../../src/canonical/index.js";
import {
  createOpenAIStreamDecoder,
  createResponsesStreamEncoder,
  decodeResponsesRequest,
  encodeResponsesResponse,
  validateResponsesEvents,
  type ResponsesEvent,
  type ResponsesStreamEncoder,
  type ResponsesTurn,
} from "../../src/dialects/index.js";
import { encodeSseEvent } from "../../src/sse/index.js";
import { chaoticEvent, plausibleStream, prng } from "./canonical-streams.js";
import { fixtureNames, readJsonl } from "./fixtures.js";

function counterIds(): (prefix: string) => string {
  let next = 0;
  return (prefix) => `${prefix}${String(++next).padStart(4, "0")}`;
}

/** A turn offering a plain function, a namespaced function and a custom tool. */
function turn(reasoning?: { summary: string }): ResponsesTurn {
  return decodeResponsesRequest({
    model: "qwen3-tiny",
    input: "hi",
    ...(reasoning ? { reasoning } : {}),
    tools: [
      { type: "function", name: "Read", parameters: { type: "object" } },
      { type: "function", name: "T", parameters: { type: "object" } },
      { type: "namespace", name: "agents", description: "d", tools: [{ type: "function", name: "spawn" }] },
      { type: "custom", name: "apply_patch" },
    ],
  }).value.turn;
}

function encoder(summaries = false): ResponsesStreamEncoder {
  return createResponsesStreamEncoder({
    responseId: "resp_test",
    requestedModel: "qwen3-tiny",
    turn: turn(summaries ? { summary: "auto" } : undefined),
    newId: counterIds(),
    createdAt: 1_700_000_000,
  });
}

function run(events: readonly ChatStreamEvent[], target = encoder()): ResponsesEvent[] {
  return [...target.open(), ...events.flatMap((event) => target.push(event)), ...target.finish()];
}

const wire = (events: readonly ResponsesEvent[]) => events.map((data) => ({ event: data.type, data }));
const sse = (events: readonly ResponsesEvent[]) => events.map((e) => encodeSseEvent(e.type, e)).join("");
const types = (events: readonly ResponsesEvent[]) => events.map((e) => e.type);

const start: ChatStreamEvent = { type: "start", id: "x", model: "backend-id", created: 1 };
const usage: ChatStreamEvent = {
  type: "usage",
  usage: { promptTokens: 100, completionTokens: 9, cachedPromptTokens: 60 },
};

function response(overrides: Partial<CanonicalChatResponse>): CanonicalChatResponse {
  return {
    id: "chatcmpl-1",
    model: "backend-id",
    created: 1_700_000_000,
    text: "",
    toolCalls: [],
    finishReason: { unified: "stop" },
    usage: { promptTokens: 100, completionTokens: 9, cachedPromptTokens: 60 },
    ...overrides,
  };
}

function encode(overrides: Partial<CanonicalChatResponse>) {
  return encodeResponsesResponse(response(overrides), {
    responseId: "resp_test",
    requestedModel: "qwen3-tiny",
    turn: turn(),
    newId: counterIds(),
  });
}

describe("encodeResponsesResponse", () => {
  it("reasoning, message, then calls mapped back to the client's tools", async () => {
    const { value, warnings } = encode({
      reasoning: "Think.",
      text: "Calling.",
      toolCalls: [
        { id: "call_1", name: "Read", arguments: '{"file_path":"a"}' },
        { id: "call_2", name: "agents__spawn", arguments: "{}" },
        { id: "call_3", name: "apply_patch", arguments: '{"input":"*** Begin Patch"}' },
      ],
      finishReason: { unified: "tool_calls" },
    });
    expect(warnings).toEqual([]);
    await expect(JSON.stringify(value, null, 2) + "\n").toMatchFileSnapshot(
      "__snapshots__/responses-response/tool-calls.json",
    );
    expect(value.output.map((item) => item.type)).toEqual([
      "reasoning",
      "message",
      "function_call",
      "function_call",
      "custom_tool_call",
    ]);
    expect(value.output[3]).toMatchObject({ name: "spawn", namespace: "agents", call_id: "call_2" });
    expect(value.output[4]).toMatchObject({ name: "apply_patch", input: "*** Begin Patch" });
    expect(value.usage).toEqual({
      input_tokens: 100,
      input_tokens_details: { cached_tokens: 60 },
      output_tokens: 9,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 109,
    });
  });

  it("a reply cut by the token limit is incomplete, and so is the call it cut", () => {
    const { value } = encode({
      text: "Reading",
      toolCalls: [{ id: "call_1", name: "Read", arguments: '{"file_pa' }],
      finishReason: { unified: "length" },
    });
    expect(value.status).toBe("incomplete");
    expect(value.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(value.output.map((item) => item.status)).toEqual(["completed", "incomplete"]);
  });

  it("a call whose JSON is whole stays completed even when the limit hit right after it", () => {
    const { value } = encode({
      toolCalls: [{ id: "call_1", name: "Read", arguments: '{"file_path":"a"}' }],
      finishReason: { unified: "length" },
    });
    expect(value.output.map((item) => item.status)).toEqual(["completed"]);
  });

  it("text cut by the limit is an incomplete message; whitespace-only text makes no message", () => {
    expect(encode({ text: "Once upon", finishReason: { unified: "length" } }).value.output[0]?.status).toBe(
      "incomplete",
    );
    expect(encode({ text: " \n" }).value.output).toEqual([]);
  });
});

describe("createResponsesStreamEncoder: recorded backend streams", () => {
  for (const name of fixtureNames("openai-streams")) {
    it(`translates ${name}`, async () => {
      const decoder = createOpenAIStreamDecoder();
      const target = encoder();
      const out: ResponsesEvent[] = [];
      for (const chunk of readJsonl(`openai-streams/${name}`)) {
        for (const event of decoder.push(chunk)) out.push(...target.push(event));
      }
      for (const event of decoder.end()) out.push(...target.push(event));
      out.push(...target.finish());
      expect(validateResponsesEvents(wire(out), { toolJson: true })).toEqual([]);
      await expect(sse(out)).toMatchFileSnapshot(
        `__snapshots__/responses-stream/${name.replace(/\.jsonl$/, ".sse")}`,
      );
    });
  }
});

describe("createResponsesStreamEncoder: rules", () => {
  it("sends created and in_progress once, on open, with no usage yet", () => {
    const target = encoder();
    const opened = target.open();
    expect(types(opened)).toEqual(["response.created", "response.in_progress"]);
    expect(opened[0]).toMatchObject({
      sequence_number: 0,
      response: { id: "resp_test", status: "in_progress", usage: null, output: [], model: "qwen3-tiny" },
    });
    expect(target.open()).toEqual([]);
    expect(target.push(start)).toEqual([]);
  });

  it("without open(), created and in_progress go out with the start event and its prompt usage", () => {
    const target = encoder();
    const out = target.push({
      ...start,
      usage: { promptTokens: 100, completionTokens: 0, cachedPromptTokens: 60 },
    });
    expect(types(out)).toEqual(["response.created", "response.in_progress"]);
    expect(out[0]).toMatchObject({
      response: {
        usage: { input_tokens: 100, input_tokens_details: { cached_tokens: 60 }, output_tokens: 0 },
      },
    });
  });

  it("streams a message item with stable ids and a final response that lists it", () => {
    const target = encoder();
    const out = run(
      [
        start,
        { type: "text-delta", text: "Hel" },
        { type: "text-delta", text: "lo" },
        { type: "finish", finishReason: { unified: "stop" } },
        usage,
      ],
      target,
    );
    expect(types(out)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(out.map((event) => event.sequence_number)).toEqual(out.map((_, index) => index));
    const completed = out.at(-1);
    if (completed?.type !== "response.completed") throw new Error("no completed");
    expect(completed.response.output).toEqual([
      {
        type: "message",
        id: "msg_0001",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "Hello", annotations: [], logprobs: [] }],
      },
    ]);
    expect(completed.response.usage?.input_tokens_details.cached_tokens).toBe(60);
    expect(target.response).toEqual(completed.response);
  });

  it("never opens an item for whitespace-only text, and holds it until real text follows", () => {
    const out = run([
      start,
      { type: "text-delta", text: "\n\n" },
      { type: "tool-call-start", index: 0, id: "call_1", name: "Read" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"file_path":"a"}' },
      { type: "text-delta", text: " " },
      { type: "text-delta", text: "done" },
      { type: "finish", finishReason: { unified: "tool_calls" } },
      usage,
    ]);
    const added = out.flatMap((e) => (e.type === "response.output_item.added" ? [e.item.type] : []));
    expect(added).toEqual(["function_call", "message"]);
    const deltas = out.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : []));
    expect(deltas).toEqual([" done"]);
  });

  it("maps namespaced calls back and streams a custom tool's raw input once its JSON is complete", () => {
    const out = run([
      start,
      { type: "tool-call-start", index: 0, id: "call_1", name: "agents__spawn" },
      { type: "tool-call-delta", index: 0, argumentsDelta: "{}" },
      { type: "tool-call-start", index: 1, id: "call_2", name: "apply_patch" },
      { type: "tool-call-delta", index: 1, argumentsDelta: '{"input":"*** Begin' },
      { type: "tool-call-delta", index: 1, argumentsDelta: ' Patch"}' },
      { type: "finish", finishReason: { unified: "tool_calls" } },
      usage,
    ]);
    expect(validateResponsesEvents(wire(out), { toolJson: true })).toEqual([]);
    expect(out.find((e) => e.type === "response.output_item.added")).toMatchObject({
      item: { type: "function_call", name: "spawn", namespace: "agents", arguments: "" },
    });
    expect(out.filter((e) => e.type === "response.custom_tool_call_input.delta")).toMatchObject([
      { delta: "*** Begin Patch" },
    ]);
    expect(out.find((e) => e.type === "response.custom_tool_call_input.done")).toMatchObject({
      input: "*** Begin Patch",
    });
  });

  it("ends a reply cut by the token limit with response.incomplete and the cut call incomplete", () => {
    const out = run([
      start,
      { type: "tool-call-start", index: 0, id: "call_1", name: "Read" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"file_path":"a"}' },
      { type: "tool-call-start", index: 1, id: "call_2", name: "Read" },
      { type: "tool-call-delta", index: 1, argumentsDelta: '{"file_pa' },
      { type: "finish", finishReason: { unified: "length" } },
      usage,
    ]);
    expect(validateResponsesEvents(wire(out))).toEqual([]);
    const terminal = out.at(-1);
    if (terminal?.type !== "response.incomplete") throw new Error(`ended with ${String(terminal?.type)}`);
    expect(terminal.response.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(terminal.response.output.map((item) => item.status)).toEqual(["completed", "incomplete"]);
  });

  it("fails mid-stream with response.failed, leaving the open call without its .done", () => {
    const target = encoder();
    const out = [
      ...target.open(),
      ...target.push(start),
      ...target.push({ type: "tool-call-start", index: 0, id: "call_1", name: "Read" }),
      ...target.push({ type: "tool-call-delta", index: 0, argumentsDelta: '{"file' }),
      ...target.fail({ code: "server_error", message: "node-a failed mid-stream" }),
    ];
    expect(validateResponsesEvents(wire(out))).toEqual([]);
    expect(types(out).slice(-2)).toEqual(["response.function_call_arguments.delta", "response.failed"]);
    expect(out.at(-1)).toMatchObject({
      response: {
        status: "failed",
        error: { code: "server_error", message: "node-a failed mid-stream" },
        output: [{ type: "function_call", status: "incomplete", arguments: '{"file' }],
      },
    });
    expect([...target.finish(), ...target.push(usage), ...target.open()]).toEqual([]);
  });

  it("sends reasoning as reasoning_text, or as the summary when the request asked for one", () => {
    const events: ChatStreamEvent[] = [
      start,
      { type: "reasoning-delta", text: "Let me " },
      { type: "reasoning-delta", text: "think." },
      { type: "text-delta", text: "Hi" },
      { type: "finish", finishReason: { unified: "stop" } },
      usage,
    ];
    const raw = run(events);
    expect(types(raw).slice(3, 8)).toEqual([
      "response.content_part.added",
      "response.reasoning_text.delta",
      "response.reasoning_text.delta",
      "response.reasoning_text.done",
      "response.content_part.done",
    ]);
    const summarised = run(events, encoder(true));
    expect(validateResponsesEvents(wire(summarised))).toEqual([]);
    expect(types(summarised).slice(3, 8)).toEqual([
      "response.reasoning_summary_part.added",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.done",
      "response.reasoning_summary_part.done",
    ]);
    expect(summarised.find((event) => event.type === "response.output_item.done")).toMatchObject({
      item: { type: "reasoning", summary: [{ type: "summary_text", text: "Let me think." }] },
    });
  });

  it("turns an upstream error event into response.failed with OpenAI's code", () => {
    const out = run([
      start,
      { type: "error", code: "context_length_exceeded", message: "prompt is too long" },
    ]);
    expect(out.at(-1)).toMatchObject({
      type: "response.failed",
      response: { error: { code: "context_length_exceeded", message: "prompt is too long" } },
    });
  });

  it("fails a stream that ends with no content and no finish", () => {
    expect(types(run([start]))).toEqual(["response.created", "response.in_progress", "response.failed"]);
    expect(types(run([], encoderWithoutOpen()))).toEqual([
      "response.created",
      "response.in_progress",
      "response.failed",
    ]);
  });
});

/** An encoder whose caller never called open(): the first push or finish still starts the stream. */
function encoderWithoutOpen(): ResponsesStreamEncoder {
  const target = encoder();
  return { ...target, open: () => [], finish: () => target.finish(), push: (event) => target.push(event) };
}

describe("createResponsesStreamEncoder: property", () => {
  function drive(random: () => number, events: readonly ChatStreamEvent[]): ResponsesEvent[] {
    const target = encoder(random() < 0.5);
    const out: ResponsesEvent[] = random() < 0.5 ? [...target.open()] : [];
    for (const event of events) out.push(...target.push(event));
    if (random() < 0.05) out.push(...target.fail({ code: "server_error", message: "client gone" }));
    out.push(...target.finish());
    expect(target.ended).toBe(true);
    expect([...target.open(), ...target.finish(), ...target.push(events[0] ?? start)]).toEqual([]);
    return out;
  }

  it("emits a valid sequence for 2000 chaotic canonical streams", () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const random = prng(seed);
      const events = Array.from({ length: Math.floor(random() * 25) }, () => chaoticEvent(random));
      expect({ seed, problems: validateResponsesEvents(wire(drive(random, events))) }).toEqual({
        seed,
        problems: [],
      });
    }
  });

  it("emits valid sequences with complete tool JSON for 2000 plausible streams", () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const random = prng(seed * 7919);
      const problems = validateResponsesEvents(wire(drive(random, plausibleStream(random))), {
        toolJson: true,
      });
      expect({ seed, problems }).toEqual({ seed, problems: [] });
    }
  });

  it("the validator itself rejects the classic mistakes", () => {
    const response = { id: "resp_1", object: "response", status: "in_progress", output: [] };
    const problems = validateResponsesEvents([
      { event: "response.created", data: { type: "response.created", sequence_number: 0, response } },
      {
        event: "response.output_item.added",
        data: {
          type: "response.output_item.added",
          sequence_number: 1,
          output_index: 1,
          item: { type: "message", id: "msg_1", status: "in_progress", content: [] },
        },
      },
      {
        event: "response.output_text.delta",
        data: {
          type: "response.output_text.delta",
          sequence_number: 3,
          output_index: 1,
          item_id: "msg_1",
          content_index: 0,
          delta: "x",
        },
      },
      {
        event: "response.completed",
        data: {
          type: "response.completed",
          sequence_number: 4,
          response: { ...response, status: "completed", id: "resp_2" },
        },
      },
    ]);
    expect(problems).toEqual([
      "event 1 (response.output_item.added): output_index 1, expected 0",
      "event 2 (response.output_text.delta): sequence_number 3, expected 2",
      "event 2 (response.output_text.delta): output_index 1 but item 0 is open",
      "event 2 (response.output_text.delta): no content part 0",
      "event 3 (response.completed): sequence_number 4, expected 3",
      "event 3 (response.completed): response.id resp_2 differs from resp_1",
      "event 3 (response.completed): item 0 was never done",
      "event 3 (response.completed): response.output differs from the streamed items",
      "event 3 (response.completed): usage missing",
    ]);
  });
});
