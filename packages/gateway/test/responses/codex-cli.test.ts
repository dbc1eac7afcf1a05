import { writeFile } from "node:fs/promises";
import { SseParser, validateResponsesEvents, type ResponsesEvent, type ResponsesObject } from "@cortex/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENDS, startStack, type TestStack } from "../anthropic/anthropic-stack.js";
import { startRecordingProxy, type RecordingProxy } from "../anthropic/recording-proxy.js";
import { codexCli, codexHome, runCodex, type CodexHome, type CodexRun } from "./codex-cli.js";

/**
 * The real Codex CLI 0.169.0 (npm @openai/codex, installed on first run into .cache/) in `codex exec`
 * against the gateway and real neurons, as docs/api-conformance.md tells users to set it up, through a
 * recording proxy so every request Codex sent and every stream it got can be checked (each stream against
 * the Responses event grammar).
 *
 * Time: Codex's default prompt is ~12k tokens, which a CPU prefills in ~30 s with these models. The
 * default configuration runs once cold (the plain prompt) and once more on the same prefix (the second
 * turn, which is the prefix-reuse test); the other scenarios use a slim configuration (~1.7k tokens).
 * The tool round trip uses a neuron started with CORTEX_TEST_FORCE_TOOL_CALL=exec_command, so every
 * fresh user turn calls exec_command with schema-valid (random) arguments, which Codex runs in its
 * read-only sandbox and answers with the output.
 */
const RUN_LIMIT_MS = 120_000;
const TEST_TIMEOUT_MS = 150_000;

let stack: TestStack;
let codex: string;
let proxy: RecordingProxy;
const homes: CodexHome[] = [];

beforeAll(async () => {
  codex = codexCli();
  stack = await startStack({
    neurons: [
      { name: "main", models: { "qwen3-ends": ENDS } },
      {
        name: "tools",
        models: { "qwen3-tools": ENDS },
        env: { CORTEX_TEST_FORCE_TOOL_CALL: "exec_command" },
      },
    ],
  });
  proxy = await startRecordingProxy(stack.url);
}, 400_000);

afterAll(async () => {
  await Promise.all(homes.map((home) => home.close()));
  await proxy?.close();
  await stack?.close();
});

async function home(options: {
  model: string;
  slim?: boolean;
  baseUrl?: string;
  envKey?: string;
}): Promise<CodexHome> {
  const created = await codexHome({ baseUrl: options.baseUrl ?? `${proxy.url}/v1`, ...options });
  homes.push(created);
  return created;
}

function run(target: CodexHome, args: readonly string[], env?: Record<string, string>): Promise<CodexRun> {
  return runCodex(codex, target, args, { timeoutMs: RUN_LIMIT_MS, ...(env ? { env } : {}) });
}

function expectSuccess(result: CodexRun): void {
  expect(
    result.code,
    `exit ${String(result.code)} ${String(result.signal)}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
  ).toBe(0);
}

interface Turn {
  request: Record<string, unknown> & { input: Record<string, unknown>[] };
  events: ResponsesEvent[];
  final: ResponsesObject;
}

/** What Codex sent and got since exchange `from`: every stream well formed and completed. */
function turnsSince(from: number): Turn[] {
  return proxy.exchanges.slice(from).map((exchange) => {
    expect(exchange.url).toBe("/v1/responses");
    expect(exchange.status).toBe(200);
    const parser = new SseParser();
    const wire = [...parser.push(exchange.response), ...parser.end()].map((message) => ({
      event: message.event ?? null,
      data: JSON.parse(message.data) as ResponsesEvent,
    }));
    expect(validateResponsesEvents(wire, { toolJson: true })).toEqual([]);
    const last = wire.at(-1)?.data;
    if (last?.type !== "response.completed") throw new Error(`stream ended with ${String(last?.type)}`);
    return {
      request: JSON.parse(exchange.body) as Turn["request"],
      events: wire.map((m) => m.data),
      final: last.response,
    };
  });
}

function textOf(response: ResponsesObject): string {
  return response.output
    .flatMap((item) => (item.type === "message" ? item.content : []))
    .map((part) => part.text)
    .join("");
}

describe("Codex CLI end to end (default configuration)", () => {
  let full: CodexHome;
  let first: Turn | undefined;

  beforeAll(async () => {
    full = await home({ model: "qwen3-ends" });
  });

  it(
    'codex exec "say hi" exits 0 and prints the reply',
    async () => {
      const from = proxy.exchanges.length;
      const result = await run(full, ["exec", "--skip-git-repo-check", "say hi"]);
      expectSuccess(result);
      const turns = turnsSince(from);
      expect(turns.length).toBe(1);
      first = turns[0];
      if (!first) throw new Error("Codex sent no request");
      // The recorded shape: streaming, stateless, no key, Codex's tools including a namespace and web_search.
      expect(first.request).toMatchObject({ stream: true, store: false, model: "qwen3-ends" });
      expect(proxy.exchanges[from]?.headers.authorization).toBeUndefined();
      const reply = textOf(first.final).trim();
      expect(reply).not.toBe("");
      expect(result.stdout).toContain(reply);
      expect(first.final.usage?.input_tokens).toBeGreaterThan(5000);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "the second turn of the session (exec resume --last) reuses the first turn's prefix on the neuron",
    async () => {
      if (!first) throw new Error("the first turn did not run");
      const from = proxy.exchanges.length;
      const result = await run(full, ["exec", "--skip-git-repo-check", "resume", "--last", "and again"]);
      expectSuccess(result);
      const [second] = turnsSince(from);
      if (!second) throw new Error("Codex sent no request");
      // The history carries the first answer back as an assistant message.
      expect(second.request.input.some((item) => item.role === "assistant")).toBe(true);
      expect(second.request.prompt_cache_key).toBe(first.request.prompt_cache_key);
      const usage = second.final.usage;
      expect(usage?.input_tokens).toBeGreaterThan(first.final.usage?.input_tokens ?? Infinity);
      expect(usage?.input_tokens_details.cached_tokens).toBeGreaterThanOrEqual(
        first.final.usage?.input_tokens ?? Infinity,
      );
      expect(result.stdout).toContain(textOf(second.final).trim());
    },
    TEST_TIMEOUT_MS,
  );
});

describe("Codex CLI end to end (slim prompt)", () => {
  it(
    "a tool round trip: the model calls exec_command, Codex runs it and sends the output back",
    async () => {
      const tools = await home({ model: "qwen3-tools", slim: true });
      const from = proxy.exchanges.length;
      const result = await run(tools, ["exec", "--skip-git-repo-check", "list the files here"]);
      expectSuccess(result);
      const turns = turnsSince(from);
      expect(turns.length).toBeGreaterThanOrEqual(2);
      const [call, answer] = turns;
      const calls = call?.final.output.filter((item) => item.type === "function_call") ?? [];
      expect(calls.length).toBeGreaterThan(0);
      // The forced call comes first; the model may add parallel calls to other tools.
      expect(calls[0]).toMatchObject({ name: "exec_command", status: "completed" });
      expect(JSON.parse(calls[0]?.type === "function_call" ? calls[0].arguments : "")).toMatchObject({
        cmd: expect.any(String),
      });
      // Codex ran each call and sent its output back, paired by call_id, after echoing the call itself.
      const sent = answer?.request.input ?? [];
      const outputs = sent.filter((item) => item.type === "function_call_output");
      expect(outputs.map((item) => item.call_id)).toEqual(calls.map((item) => item.call_id));
      expect(sent.filter((item) => item.type === "function_call").map((item) => item.call_id)).toEqual(
        calls.map((item) => item.call_id),
      );
      expect(outputs.every((item) => typeof item.output === "string" && item.output !== "")).toBe(true);
      // The answer to the tool output is text, which Codex prints.
      const last = turns.at(-1);
      if (!last) throw new Error("no last turn");
      expect(last.final.output.some((item) => item.type === "function_call")).toBe(false);
      expect(result.stdout).toContain(textOf(last.final).trim());
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "--output-schema sends text.format json_schema and writes the final message",
    async () => {
      const slim = await home({ model: "qwen3-ends", slim: true });
      const schema = `${slim.cwd}/schema.json`;
      await writeFile(
        schema,
        JSON.stringify({
          type: "object",
          properties: { answer: { type: "string" } },
          required: ["answer"],
          additionalProperties: false,
        }),
      );
      const from = proxy.exchanges.length;
      const result = await run(slim, [
        "exec",
        "--skip-git-repo-check",
        "--output-schema",
        schema,
        "answer in JSON",
      ]);
      expectSuccess(result);
      const [turn] = turnsSince(from);
      expect(turn?.request.text).toMatchObject({
        format: { type: "json_schema", name: "codex_output_schema", strict: true },
      });
      if (!turn) throw new Error("Codex sent no request");
      expect(turn.final.text.format).toMatchObject({ type: "json_schema" });
      expect(result.stdout).toContain(textOf(turn.final).trim());
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "--json prints Codex's JSONL events with the reply and the usage the gateway reported",
    async () => {
      const slim = await home({ model: "qwen3-ends", slim: true });
      const from = proxy.exchanges.length;
      const result = await run(slim, ["exec", "--skip-git-repo-check", "--json", "say hi"]);
      expectSuccess(result);
      const [turn] = turnsSince(from);
      if (!turn) throw new Error("Codex sent no request");
      const lines = result.stdout
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map(
          (line) =>
            JSON.parse(line) as {
              type: string;
              item?: { type: string; text?: string };
              usage?: Record<string, number>;
            },
        );
      expect(lines[0]?.type).toBe("thread.started");
      const message = lines.find(
        (line) => line.type === "item.completed" && line.item?.type === "agent_message",
      );
      expect(message?.item?.text?.trim()).toBe(textOf(turn.final).trim());
      const completed = lines.find((line) => line.type === "turn.completed");
      expect(completed?.usage).toMatchObject({
        input_tokens: turn.final.usage?.input_tokens,
        cached_input_tokens: turn.final.usage?.input_tokens_details.cached_tokens,
        output_tokens: turn.final.usage?.output_tokens,
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "against a gateway with api_keys: env_key sends the key; without it Codex shows the 401",
    async () => {
      const guarded = await stack.addGateway({ gateway: 'api_keys = ["sk-codex"]' });
      const watched = await startRecordingProxy(guarded.url);
      try {
        const baseUrl = `${watched.url}/v1`;
        const keyed = await home({ model: "qwen3-ends", slim: true, baseUrl, envKey: "CORTEX_API_KEY" });
        expectSuccess(
          await run(keyed, ["exec", "--skip-git-repo-check", "say hi"], { CORTEX_API_KEY: "sk-codex" }),
        );
        expect(watched.exchanges.map((exchange) => exchange.headers.authorization)).toEqual([
          "Bearer sk-codex",
        ]);

        const keyless = await home({ model: "qwen3-ends", slim: true, baseUrl });
        const refused = await run(keyless, ["exec", "--skip-git-repo-check", "say hi"]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain("401 Unauthorized: missing API key");
        // Codex retries a 401 a few times with backoff (~8 s), then gives up: not a storm.
        const attempts = watched.exchanges.slice(1);
        expect(attempts.every((exchange) => exchange.status === 401)).toBe(true);
        expect(attempts.length).toBeGreaterThan(0);
        expect(attempts.length).toBeLessThanOrEqual(6);
      } finally {
        await watched.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
