import { describe, expect, it } from "vitest";
import type { CanonicalChatRequest } from "../../src/canonical/index.js";
import {
  decodeResponsesInputTokensRequest,
  decodeResponsesRequest,
  encodeOpenAIChatRequest,
} from "../../src/dialects/index.js";
import { CortexError } from "../../src/errors/index.js";
import { readJson } from "./fixtures.js";

/** A recorded request: headers as Codex sent them (ids scrubbed) and the JSON body. */
interface Recorded {
  headers: Record<string, string>;
  body: { input: unknown[]; tools: unknown[] } & Record<string, unknown>;
}

/** One line per message and per tool: reviewable diffs for a 40 kB request. */
function canonicalLines(request: CanonicalChatRequest, warnings: readonly string[], from = 0): string {
  const { messages, tools, ...settings } = request;
  return (
    [
      JSON.stringify(settings),
      ...messages.slice(from).map((message) => JSON.stringify(message)),
      ...(from === 0 ? tools.map((tool) => JSON.stringify(tool)) : []),
      ...warnings.map((warning) => JSON.stringify({ warning })),
    ].join("\n") + "\n"
  );
}

function neuronLines(request: CanonicalChatRequest): string {
  const { messages, tools, ...settings } = encodeOpenAIChatRequest(request);
  return [settings, ...messages, ...(tools ?? [])].map((line) => JSON.stringify(line)).join("\n") + "\n";
}

function errorOf(run: () => unknown): CortexError {
  try {
    run();
  } catch (error) {
    if (error instanceof CortexError) return error;
    throw error;
  }
  throw new Error("expected the request to be rejected");
}

const SNAPSHOTS = "__snapshots__/responses-request";

describe("decodeResponsesRequest: recorded Codex CLI 0.169.0 requests", () => {
  const exec = readJson("responses/codex-exec-request.json") as Recorded;

  it("decodes `codex exec` (qwen3-tiny: function + namespace tools, web_search)", async () => {
    const { value, warnings } = decodeResponsesRequest(exec.body);
    await expect(canonicalLines(value.chat, warnings)).toMatchFileSnapshot(
      `${SNAPSHOTS}/codex-exec-request.canonical.jsonl`,
    );
    await expect(neuronLines(value.chat)).toMatchFileSnapshot(`${SNAPSHOTS}/codex-exec-request.neuron.jsonl`);
  });

  it("keeps what Codex relies on", () => {
    expect(exec.headers.authorization).toBeUndefined();
    const { value, warnings } = decodeResponsesRequest(exec.body);
    const { chat, turn } = value;
    // The two developer messages become the one system prompt; environment context and prompt one user turn.
    expect(chat.messages.map((message) => message.role)).toEqual(["system", "user"]);
    expect(chat.stream).toBe(true);
    expect(chat.includeUsage).toBe(true);
    expect(chat.maxTokens).toBeUndefined();
    expect(chat.toolChoice).toEqual({ type: "auto" });
    expect(chat.tools.map((tool) => tool.name)).toContain("multi_agent_v1__spawn_agent");
    expect(turn.names.origin("multi_agent_v1__spawn_agent")).toEqual({
      kind: "function",
      name: "spawn_agent",
      namespace: "multi_agent_v1",
    });
    expect(warnings).toEqual(['tools[8]: hosted tool "web_search" cannot run here; dropped']);
    expect(turn.echo.store).toBe(false);
    expect(turn.echo.tools).toBe(exec.body.tools);
  });

  it("decodes a gpt-5.5 turn: freeform apply_patch (custom tool, Lark grammar), tool_search, its call and output", async () => {
    const recorded = readJson("responses/codex-gpt-5.5-apply-patch-request.json") as Recorded;
    const { value, warnings } = decodeResponsesRequest(recorded.body);
    await expect(canonicalLines(value.chat, warnings)).toMatchFileSnapshot(
      `${SNAPSHOTS}/codex-gpt-5.5-apply-patch-request.canonical.jsonl`,
    );
    const patch = value.chat.tools.find((tool) => tool.name === "apply_patch");
    expect(patch?.parameters).toMatchObject({ required: ["input"] });
    expect(patch?.description).toContain("begin_patch");
    expect(value.chat.reasoningEffort).toBe("medium");
    const assistant = value.chat.messages.find((message) => message.role === "assistant");
    expect(assistant).toMatchObject({
      reasoning: "thinking hard",
      toolCalls: [{ id: "call_1", name: "apply_patch" }],
    });
    if (assistant?.role !== "assistant") throw new Error("no assistant turn");
    expect(JSON.parse(assistant.toolCalls[0]?.arguments ?? "")).toEqual({
      input: "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n",
    });
    expect(value.chat.messages.at(-1)).toMatchObject({ role: "tool", toolCallId: "call_1" });
  });

  it("decodes the turn after a tool round trip (reasoning, function_call, function_call_output)", async () => {
    const recorded = readJson("responses/codex-tool-output-request.json") as Recorded;
    const { value, warnings } = decodeResponsesRequest(recorded.body);
    await expect(canonicalLines(value.chat, warnings, 1)).toMatchFileSnapshot(
      `${SNAPSHOTS}/codex-tool-output-request.tail.jsonl`,
    );
  });

  it("decodes a resumed session's second turn, whose prefix is the first turn's prompt", () => {
    const first = decodeResponsesRequest(exec.body).value.chat;
    const recorded = readJson("responses/codex-second-turn-request.json") as Recorded;
    const second = decodeResponsesRequest(recorded.body).value.chat;
    expect(second.messages.map((message) => message.role)).toEqual(["system", "user", "assistant", "user"]);
    const neuronFirst = encodeOpenAIChatRequest(first);
    const neuronSecond = encodeOpenAIChatRequest(second);
    // Same system prompt and tools: the neuron can reuse the first turn's KV cache.
    expect(neuronSecond.messages[0]).toEqual(neuronFirst.messages[0]);
    expect(neuronSecond.tools).toEqual(neuronFirst.tools);
  });
});

/** Every item, part and tool type the dialect knows, in one request. */
const EVERYTHING = {
  model: "qwen3-tiny",
  instructions: "Be brief.",
  stream: true,
  max_output_tokens: 512,
  temperature: 0.2,
  top_p: 0.9,
  metadata: { ticket: "T-1" },
  parallel_tool_calls: false,
  reasoning: { effort: "low", summary: "auto" },
  text: { format: { type: "json_object" }, verbosity: "low" },
  include: ["reasoning.encrypted_content"],
  prompt_cache_key: "k",
  service_tier: "auto",
  tools: [
    { type: "function", name: "exec_command", parameters: { type: "object", properties: {} }, strict: false },
    { type: "function", name: "no_params", parameters: null, strict: null, defer_loading: true },
    {
      type: "namespace",
      name: "agents",
      description: "Sub-agents.",
      tools: [
        { type: "function", name: "spawn", description: "Spawn one.", parameters: { type: "object" } },
        { type: "custom", name: "note" },
      ],
    },
    { type: "function", name: "agents__spawn", parameters: { type: "object" } },
    {
      type: "custom",
      name: "apply_patch",
      description: "Edit files.",
      format: { type: "grammar", syntax: "lark", definition: 'start: "*** Begin Patch"' },
    },
    { type: "web_search", external_web_access: false },
    { type: "tool_search", execution: "client" },
    { type: "file_search", vector_store_ids: ["vs_1"] },
  ],
  tool_choice: "auto",
  input: [
    { role: "developer", content: "Developer note." },
    { type: "message", role: "system", content: [{ type: "input_text", text: "System note." }] },
    {
      type: "message",
      role: "user",
      content: [
        { type: "input_text", text: "Look at this." },
        { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=", detail: "auto" },
        { type: "input_image", file_id: "file_1", detail: "low" },
        { type: "input_file", filename: "spec.pdf", file_data: "data:application/pdf;base64,JVBER" },
        { type: "input_audio", input_audio: { data: "", format: "wav" } },
      ],
    },
    {
      type: "reasoning",
      id: "rs_1",
      summary: [{ type: "summary_text", text: "Summary only." }],
      encrypted_content: "gAAAA",
    },
    {
      type: "reasoning",
      id: "rs_2",
      summary: [],
      content: [{ type: "reasoning_text", text: "Raw thought." }],
      encrypted_content: null,
    },
    {
      type: "message",
      role: "assistant",
      id: "msg_1",
      status: "completed",
      content: [{ type: "output_text", text: "Let me check.", annotations: [] }],
    },
    {
      type: "function_call",
      id: "fc_1",
      call_id: "call_a",
      name: "exec_command",
      arguments: '{"cmd":"ls"}',
      status: "completed",
    },
    { type: "function_call", call_id: "call_b", name: "spawn", namespace: "agents", arguments: "{}" },
    { type: "custom_tool_call", call_id: "call_c", name: "apply_patch", input: "*** Begin Patch" },
    { type: "web_search_call", id: "ws_1", status: "completed", action: { type: "search", query: "x" } },
    { type: "function_call_output", call_id: "call_a", output: "a.txt\nb.txt" },
    {
      type: "function_call_output",
      call_id: "call_b",
      output: [
        { type: "input_text", text: "spawned" },
        { type: "input_image", image_url: "https://example.com/shot.png" },
      ],
    },
    { type: "custom_tool_call_output", call_id: "call_c", output: "Done!" },
    { type: "message", role: "assistant", content: "Anything else?" },
    { type: "message", role: "developer", content: [{ type: "input_text", text: "Late developer note." }] },
    { role: "user", content: "Summarise." },
    { type: "reasoning", summary: [{ type: "summary_text", text: "Trailing thought." }] },
  ],
};

describe("decodeResponsesRequest: every item and tool type", () => {
  it("golden", async () => {
    const { value, warnings } = decodeResponsesRequest(EVERYTHING);
    await expect(canonicalLines(value.chat, warnings)).toMatchFileSnapshot(
      `${SNAPSHOTS}/everything.canonical.jsonl`,
    );
    await expect(neuronLines(value.chat)).toMatchFileSnapshot(`${SNAPSHOTS}/everything.neuron.jsonl`);
  });

  it("maps settings and tools as documented", () => {
    const { chat, turn } = decodeResponsesRequest(EVERYTHING).value;
    expect(chat).toMatchObject({
      maxTokens: 512,
      temperature: 0.2,
      topP: 0.9,
      parallelToolCalls: false,
      reasoningEffort: "low",
      responseFormat: { type: "json_object" },
      stop: [],
    });
    expect(chat.tools.map((tool) => tool.name)).toEqual([
      "exec_command",
      "no_params",
      "agents__spawn",
      "agents__note",
      "agents__spawn_2",
      "apply_patch",
    ]);
    expect(chat.tools[1]?.parameters).toEqual({ type: "object", properties: {} });
    expect(turn.names.origin("agents__spawn_2")).toEqual({ kind: "function", name: "agents__spawn" });
    expect(turn.names.origin("agents__note")).toEqual({ kind: "custom", name: "note", namespace: "agents" });
    expect(turn.echo).toMatchObject({
      instructions: "Be brief.",
      metadata: { ticket: "T-1" },
      text: { format: { type: "json_object" }, verbosity: "low" },
      reasoning: { effort: "low", summary: "auto" },
      store: true,
    });
  });

  it("counts input tokens over the same conversation", () => {
    const { value } = decodeResponsesInputTokensRequest({ ...EVERYTHING, stream: undefined });
    expect(value.messages).toEqual(decodeResponsesRequest(EVERYTHING).value.chat.messages);
    expect(value.stream).toBe(false);
  });
});

describe("decodeResponsesRequest: tool_choice", () => {
  const tools = [
    { type: "function", name: "a", parameters: {} },
    { type: "function", name: "b", parameters: {} },
    { type: "custom", name: "c" },
  ];
  const decode = (tool_choice: unknown) =>
    decodeResponsesRequest({ model: "m", input: "hi", tools, tool_choice }).value.chat;

  it("maps the strings, forced tools and allowed_tools", () => {
    expect(decode("required").toolChoice).toEqual({ type: "required" });
    expect(decode("none").toolChoice).toEqual({ type: "none" });
    expect(decode({ type: "function", name: "b" }).toolChoice).toEqual({ type: "tool", name: "b" });
    expect(decode({ type: "custom", name: "c" }).toolChoice).toEqual({ type: "tool", name: "c" });
    const allowed = decode({
      type: "allowed_tools",
      mode: "required",
      tools: [{ type: "function", name: "a" }],
    });
    expect(allowed.tools.map((tool) => tool.name)).toEqual(["a"]);
    expect(allowed.toolChoice).toEqual({ type: "required" });
  });

  it("falls back to auto, with a warning, for a hosted tool", () => {
    const { value, warnings } = decodeResponsesRequest({
      model: "m",
      input: "hi",
      tools,
      tool_choice: { type: "web_search_preview" },
    });
    expect(value.chat.toolChoice).toEqual({ type: "auto" });
    expect(warnings).toEqual([
      'tool_choice: "web_search_preview" names a hosted tool that cannot run here; auto used',
    ]);
  });

  it("refuses a forced tool that is not in tools", () => {
    expect(errorOf(() => decode({ type: "function", name: "zzz" }))).toMatchObject({
      status: 400,
      param: "tool_choice.name",
    });
  });
});

describe("decodeResponsesRequest: previous_response_id", () => {
  const previous = [
    { type: "message", role: "user", content: "What is 2+2?" },
    {
      type: "message",
      id: "msg_1",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: "4", annotations: [], logprobs: [] }],
    },
  ];

  it("continues the stored conversation (without its instructions)", () => {
    const { value } = decodeResponsesRequest(
      { model: "m", instructions: "Now.", previous_response_id: "resp_1", input: "And 3+3?" },
      { previousItems: (id) => (id === "resp_1" ? previous : undefined) },
    );
    expect(value.chat.messages).toEqual([
      { role: "system", content: "Now." },
      { role: "user", content: [{ type: "text", text: "What is 2+2?" }] },
      { role: "assistant", content: "4", toolCalls: [] },
      { role: "user", content: [{ type: "text", text: "And 3+3?" }] },
    ]);
    expect(value.turn.input).toEqual([...previous, { type: "message", role: "user", content: "And 3+3?" }]);
    expect(value.turn.echo.previous_response_id).toBe("resp_1");
  });

  it("answers an unknown id like OpenAI: 400 previous_response_not_found", () => {
    const error = errorOf(() =>
      decodeResponsesRequest(
        { model: "m", previous_response_id: "resp_x", input: "hi" },
        { previousItems: () => undefined },
      ),
    );
    expect(error).toMatchObject({
      code: "previous_response_not_found",
      status: 400,
      param: "previous_response_id",
      message: "Previous response with id 'resp_x' not found.",
    });
  });
});

describe("decodeResponsesRequest: refusals name the field", () => {
  const cases: [string, unknown, string][] = [
    ["model missing", { input: "hi" }, "model"],
    ["bad role", { model: "m", input: [{ role: "tool", content: "x" }] }, "input[0].role"],
    ["item_reference", { model: "m", input: [{ type: "item_reference", id: "msg_1" }] }, "input[0]"],
    ["background", { model: "m", input: "hi", background: true }, "background"],
    ["conversation", { model: "m", input: "hi", conversation: "conv_1" }, "conversation"],
    ["stored prompt", { model: "m", input: "hi", prompt: { id: "pmpt_1" } }, "prompt"],
    [
      "image URL",
      { model: "m", input: [{ role: "user", content: [{ type: "input_image", image_url: "ftp://x" }] }] },
      "input[0].content[0].image_url",
    ],
    ["no conversation", { model: "m", instructions: "only" }, "input"],
    ["max_output_tokens 0", { model: "m", input: "hi", max_output_tokens: 0 }, "max_output_tokens"],
    [
      "duplicate tools",
      {
        model: "m",
        input: "hi",
        tools: [
          { type: "function", name: "a" },
          { type: "function", name: "a" },
        ],
      },
      "tools[1].name",
    ],
  ];
  for (const [name, body, param] of cases) {
    it(name, () => {
      expect(errorOf(() => decodeResponsesRequest(body))).toMatchObject({ status: 400, param });
    });
  }
});
