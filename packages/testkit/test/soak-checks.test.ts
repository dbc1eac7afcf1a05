import { describe, expect, it } from "vitest";
import { reconcile, type RequestCounts } from "../src/soak/soak-accounting.js";
import { checkErrorResponse, checkJsonAnswer, checkStream } from "../src/soak/soak-checks.js";
import type { SoakOutcome, SoakResult } from "../src/soak/soak-client.js";
import type { SoakDialect } from "../src/soak/soak-requests.js";

const data = (value: unknown) => ({ event: "message", data: JSON.stringify(value) });
const named = (event: string, value: Record<string, unknown>) => ({
  event,
  data: JSON.stringify({ type: event, ...value }),
});
const chunk = (finish: string | null) =>
  data({ object: "chat.completion.chunk", choices: [{ finish_reason: finish }] });
const done = { event: "message", data: "[DONE]" };

describe("the soak's judgement of what a client got", () => {
  it("takes complete streams of each dialect as ok", () => {
    expect(checkStream("openai", [chunk(null), chunk("length"), done])).toEqual({ kind: "ok" });
    expect(
      checkStream("anthropic", [named("message_start", {}), named("ping", {}), named("message_stop", {})]),
    ).toEqual({ kind: "ok" });
    expect(
      checkStream("responses", [
        named("response.created", { sequence_number: 0 }),
        named("response.incomplete", { sequence_number: 1 }),
      ]),
    ).toEqual({ kind: "ok" });
  });

  it("takes a stream ended by the dialect's error event as a stream error", () => {
    const error = { message: "x failed mid-stream", type: "server_error", code: "upstream_error" };
    expect(checkStream("openai", [chunk(null), data({ error }), done])).toMatchObject({
      kind: "stream_error",
      code: "upstream_error",
    });
    expect(
      checkStream("anthropic", [
        named("message_start", {}),
        named("error", { error: { type: "api_error", message: "cut" } }),
      ]),
    ).toMatchObject({ kind: "stream_error", code: "api_error" });
    expect(
      checkStream("responses", [
        named("response.created", { sequence_number: 0 }),
        named("response.failed", {
          sequence_number: 1,
          response: { error: { code: "server_error", message: "cut" } },
        }),
      ]),
    ).toMatchObject({ kind: "stream_error", code: "server_error" });
  });

  it("takes cut, reordered or mislabelled streams as bad", () => {
    expect(checkStream("openai", [chunk(null)]).kind).toBe("bad");
    expect(checkStream("openai", [chunk(null), done]).kind).toBe("bad");
    expect(
      checkStream("anthropic", [named("message_start", {}), named("content_block_delta", {})]).kind,
    ).toBe("bad");
    expect(
      checkStream("anthropic", [
        named("message_start", {}),
        named("error", { error: { type: "api_error", message: "cut" } }),
        named("message_stop", {}),
      ]).kind,
    ).toBe("bad");
    expect(checkStream("anthropic", [{ event: "message_stop", data: '{"type":"ping"}' }]).kind).toBe("bad");
    expect(
      checkStream("responses", [
        named("response.created", { sequence_number: 1 }),
        named("response.completed", { sequence_number: 1 }),
      ]).kind,
    ).toBe("bad");
  });

  it("wants each dialect's envelope and status pairs for errors", () => {
    const anthropic = (type: string) => JSON.stringify({ type: "error", error: { type, message: "m" } });
    const openai = (type: string) => JSON.stringify({ error: { message: "m", type, code: "no_capacity" } });
    expect(checkErrorResponse("anthropic", 529, anthropic("overloaded_error"))).toMatchObject({
      kind: "error",
      status: 529,
    });
    expect(checkErrorResponse("anthropic", 503, anthropic("overloaded_error")).kind).toBe("bad");
    expect(checkErrorResponse("anthropic", 400, anthropic("api_error")).kind).toBe("bad");
    expect(checkErrorResponse("openai", 503, openai("server_error"))).toMatchObject({ code: "no_capacity" });
    expect(checkErrorResponse("responses", 499, openai("invalid_request_error")).kind).toBe("bad");
    expect(checkErrorResponse("openai", 502, "<html>bad gateway</html>").kind).toBe("bad");
    expect(
      checkJsonAnswer("anthropic", JSON.stringify({ type: "message", role: "assistant", content: [] })).kind,
    ).toBe("bad");
  });
});

describe("the soak's reconciliation with the gateway's request counters", () => {
  const result = (dialect: SoakDialect, outcome: SoakOutcome): SoakResult => ({
    spec: { dialect, stream: false, model: "m", maxTokens: 1, prompt: "p", abort: { kind: "none" } },
    scenario: "s",
    outcome,
    ms: 1,
  });
  const counts = (entries: Record<string, Record<number, number>>): RequestCounts =>
    new Map(
      Object.entries(entries).map(([dialect, byStatus]) => [
        dialect as SoakDialect,
        new Map(Object.entries(byStatus).map(([status, n]) => [Number(status), n])),
      ]),
    );

  it("matches through the dialect's status mapping and lets aborts take any status", () => {
    const results = [
      result("anthropic", { kind: "ok" }),
      result("anthropic", { kind: "error", status: 529, code: "overloaded_error", message: "" }),
      result("anthropic", { kind: "stream_error", code: "api_error", message: "" }),
      result("openai", { kind: "aborted" }),
    ];
    expect(reconcile(results, counts({ anthropic: { 200: 1, 503: 1, 502: 1 }, openai: { 499: 1 } }))).toEqual(
      {
        unaccounted: 0,
        notes: [],
      },
    );
  });

  it("counts what either side has and the other lacks", () => {
    const results = [result("openai", { kind: "ok" }), result("openai", { kind: "ok" })];
    expect(reconcile(results, counts({ openai: { 200: 1, 404: 1 } })).unaccounted).toBe(2);
    expect(reconcile([], counts({ responses: { 200: 1 } })).unaccounted).toBe(1);
  });
});
