import { SseParser } from "@cortex/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectWellFormedStream, toWireEvents, type WireEvent } from "./anthropic-events.js";
import { ENDS, startStack, type TestStack } from "./anthropic-stack.js";
import { claudeCode, runClaude, type ClaudeRun } from "./claude-code-cli.js";
import { startRecordingProxy, type RecordedExchange, type RecordingProxy } from "./recording-proxy.js";

/**
 * The real Claude Code CLI (npm @anthropic-ai/claude-code, installed on first run into .cache/) in print
 * mode against the gateway and real neurons. Claude Code asks for claude-* ids, which
 * `gateway.default_model` sends to an ending model.
 *
 * `--tools Read`: Claude Code's default 24 tools make a ~24k-token prompt, and prefilling that on a CPU
 * with these models takes 70–160 s here (attention is quadratic), beyond the 90 s bound per run. The
 * full default request shape (24 tools, billing header, mid-conversation system, thinking…) goes through
 * the gateway in messages-sdk.test.ts ("a Claude Code request").
 *
 * The tool run uses a second gateway whose default model lives on a neuron started with
 * CORTEX_TEST_FORCE_TOOL_CALL=Read (a read-only tool this Claude Code version offers; it has no Glob or
 * LS in print mode), so every fresh user turn gets real Read calls and the tool_result turn an answer.
 */
const RUN_LIMIT_MS = 90_000;
const TEST_TIMEOUT_MS = 120_000;

let stack: TestStack;
let claude: string;
let proxy: RecordingProxy;

beforeAll(async () => {
  claude = claudeCode();
  stack = await startStack({
    neurons: [
      { name: "main", models: { "qwen3-ends": ENDS } },
      { name: "tools", models: { "qwen3-tools": ENDS }, env: { CORTEX_TEST_FORCE_TOOL_CALL: "Read" } },
    ],
    gateway: 'default_model = "qwen3-ends"',
    only: ["main"],
  });
  const tools = await stack.addGateway({ gateway: 'default_model = "qwen3-tools"', only: ["tools"] });
  proxy = await startRecordingProxy(tools.url);
}, 400_000);

afterAll(async () => {
  await proxy?.close();
  await stack?.close();
});

function expectSuccess(run: ClaudeRun): void {
  const context = `exit ${String(run.code)} ${String(run.signal)}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
  expect(run.code, context).toBe(0);
  expect(run.result, context).toMatchObject({ type: "result", subtype: "success", is_error: false });
  expect(run.result?.result.trim()).not.toBe("");
}

function eventsOf(exchange: RecordedExchange): WireEvent[] {
  const parser = new SseParser();
  return toWireEvents([...parser.push(exchange.response), ...parser.end()]);
}

interface SentMessage {
  role: string;
  content: string | { type: string; id?: string; tool_use_id?: string; name?: string; input?: unknown }[];
}

describe("Claude Code CLI end to end", () => {
  it(
    'claude -p "hello" --output-format json exits 0 with is_error:false',
    async () => {
      const before = await stack.metric("cortex_gateway_requests_total", {
        dialect: "anthropic",
        status: "200",
      });
      const run = await runClaude(claude, ["-p", "hello", "--output-format", "json", "--tools", "Read"], {
        baseUrl: stack.url,
        timeoutMs: RUN_LIMIT_MS,
      });
      expectSuccess(run);
      expect(run.result?.usage.input_tokens).toBeGreaterThan(0);
      expect(run.result?.usage.output_tokens).toBeGreaterThan(0);
      const after = await stack.metric("cortex_gateway_requests_total", {
        dialect: "anthropic",
        status: "200",
      });
      expect(after).toBeGreaterThan(before);
      // Nothing failed along the way (a 4xx/5xx would make Claude Code retry or fall back).
      const failed = await stack.metric("cortex_gateway_requests_total", {
        dialect: "anthropic",
        status: "400",
      });
      expect(failed).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "the same with ANTHROPIC_AUTH_TOKEN (Bearer) against a gateway that requires a key",
    async () => {
      const guarded = await stack.addGateway({
        gateway: 'api_keys = ["sk-e2e"]\ndefault_model = "qwen3-ends"',
        only: ["main"],
      });
      const run = await runClaude(claude, ["-p", "hello", "--output-format", "json", "--tools", "Read"], {
        baseUrl: guarded.url,
        env: { ANTHROPIC_AUTH_TOKEN: "sk-e2e" },
        timeoutMs: RUN_LIMIT_MS,
      });
      expectSuccess(run);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a forced Read call round-trips: tool_use streamed, run by Claude Code, tool_result answered (prefix /anthropic)",
    async () => {
      const run = await runClaude(
        claude,
        ["-p", "Read the file notes.txt", "--output-format", "json", "--tools", "Read"],
        { baseUrl: `${proxy.url}/anthropic`, timeoutMs: RUN_LIMIT_MS },
      );
      expectSuccess(run);
      expect(run.result?.num_turns).toBeGreaterThanOrEqual(2);

      const calls = proxy.exchanges.filter((exchange) => exchange.url.startsWith("/anthropic/v1/messages"));
      expect(calls.every((exchange) => exchange.status === 200)).toBe(true);
      const first = calls[0];
      if (!first) throw new Error("Claude Code sent no request");
      const blocks = expectWellFormedStream(eventsOf(first));
      const uses = blocks.filter((block) => block.start.type === "tool_use");
      expect(uses.length).toBeGreaterThan(0);
      for (const use of uses) {
        expect(use.start).toMatchObject({ name: "Read", input: {} });
        expect(use.deltas.every((delta) => delta.type === "input_json_delta")).toBe(true);
      }
      const ids = uses.map((use) => String(use.start.id));

      // Claude Code ran the calls and sent one tool_result per tool_use id back.
      const followUp = calls.find((exchange) =>
        (JSON.parse(exchange.body) as { messages: SentMessage[] }).messages.some(
          (message) =>
            Array.isArray(message.content) && message.content.some((block) => block.type === "tool_result"),
        ),
      );
      if (!followUp) throw new Error("no request carried a tool_result");
      const sent = (JSON.parse(followUp.body) as { messages: SentMessage[] }).messages;
      const echoed = sent.flatMap((message) =>
        message.role === "assistant" && Array.isArray(message.content)
          ? message.content.filter((block) => block.type === "tool_use")
          : [],
      );
      expect(echoed.map((block) => block.id)).toEqual(ids);
      // The input Claude Code assembled from input_json_delta is an object with Read's required field.
      for (const block of echoed) expect(block.input).toMatchObject({ file_path: expect.any(String) });
      const results = sent.flatMap((message) =>
        message.role === "user" && Array.isArray(message.content)
          ? message.content.filter((block) => block.type === "tool_result")
          : [],
      );
      expect(results.map((block) => block.tool_use_id)).toEqual(ids);
      const answer = eventsOf(followUp);
      expectWellFormedStream(answer);
      expect(answer.find((event) => event.event === "message_delta")?.data.delta.stop_reason).toBe(
        "end_turn",
      );
    },
    TEST_TIMEOUT_MS,
  );
});
