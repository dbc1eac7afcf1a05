import type { ResponsesObject } from "@cortex/core";
import { describe, expect, it } from "vitest";
import { ResponseStore } from "../../src/responses/response-store.js";
import type { ResponsesStoreLimits } from "../../src/runtime/gateway-runtime.js";

function response(id: string, text = "x"): ResponsesObject {
  return {
    id,
    object: "response",
    created_at: 0,
    status: "completed",
    error: null,
    incomplete_details: null,
    model: "m",
    output: [
      {
        type: "message",
        id: `msg_${id}`,
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text, annotations: [], logprobs: [] }],
      },
    ],
    usage: null,
    background: false,
    service_tier: "default",
    instructions: null,
    max_output_tokens: null,
    metadata: {},
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: true,
    temperature: null,
    text: { format: { type: "text" } },
    tool_choice: "auto",
    tools: [],
    top_p: null,
    truncation: "disabled",
  };
}

function store(limits: ResponsesStoreLimits) {
  let now = 0;
  let current = limits;
  const target = new ResponseStore(
    () => current,
    () => now,
  );
  return {
    target,
    advance: (ms: number) => (now += ms),
    limit: (next: ResponsesStoreLimits) => (current = next),
  };
}

const input = [{ role: "user", content: "hi" }];

describe("ResponseStore", () => {
  it("keeps the conversation behind each response: its input, then its output", () => {
    const { target } = store({ maxBytes: 1_000_000, maxAgeMs: 60_000 });
    const first = response("resp_1");
    expect(target.put(first, input)).toBe(true);
    expect(target.get("resp_1")).toBe(first);
    expect(target.conversation("resp_1")).toEqual([...input, ...first.output]);
    expect(target.delete("resp_1")).toBe(true);
    expect(target.get("resp_1")).toBeUndefined();
    expect(target.delete("resp_1")).toBe(false);
    expect(target.bytes).toBe(0);
  });

  it("drops the oldest entries beyond its size, and refuses one that alone is too big", () => {
    const { target } = store({ maxBytes: 3000, maxAgeMs: 60_000 });
    for (const id of ["resp_1", "resp_2", "resp_3", "resp_4"]) target.put(response(id), input);
    expect(target.bytes).toBeLessThanOrEqual(3000);
    expect(target.get("resp_1")).toBeUndefined();
    expect(target.get("resp_4")).toBeDefined();
    expect(target.put(response("resp_big", "y".repeat(5000)), input)).toBe(false);
    expect(target.get("resp_big")).toBeUndefined();
  });

  it("forgets entries older than its age, and applies new limits at the next store (reload)", () => {
    const { target, advance, limit } = store({ maxBytes: 1_000_000, maxAgeMs: 1000 });
    target.put(response("resp_1"), input);
    advance(600);
    target.put(response("resp_2"), input);
    advance(500);
    expect(target.get("resp_1")).toBeUndefined();
    expect(target.conversation("resp_2")).toBeDefined();
    limit({ maxBytes: 0, maxAgeMs: 1000 });
    expect(target.put(response("resp_3"), input)).toBe(false);
    expect(target.size).toBe(0);
  });
});
