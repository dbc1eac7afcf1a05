import { describe, expect, it } from "vitest";
import { encodeAnthropicModelList, renderAnthropicError } from "../../src/dialects/index.js";
import { CortexError, ERROR_CODES, type ErrorCode } from "../../src/errors/index.js";

describe("renderAnthropicError", () => {
  it("renders every code in the table", () => {
    const rows = (Object.keys(ERROR_CODES) as ErrorCode[]).map((code) => {
      const { status, body, headers } = renderAnthropicError(new CortexError(code, "m"));
      return `${code.padEnd(24)} ${status} ${body.error.type.padEnd(22)} retry=${headers["x-should-retry"]}`;
    });
    expect(rows.join("\n")).toMatchInlineSnapshot(`
      "invalid_request          400 invalid_request_error  retry=false
      context_length_exceeded  400 invalid_request_error  retry=false
      previous_response_not_found 400 invalid_request_error  retry=false
      authentication_failed    401 authentication_error   retry=false
      permission_denied        403 permission_error       retry=false
      hub_access_denied        403 permission_error       retry=false
      model_not_found          404 not_found_error        retry=false
      not_found                404 not_found_error        retry=false
      request_timeout          408 invalid_request_error  retry=false
      request_too_large        413 request_too_large      retry=false
      headers_too_large        431 invalid_request_error  retry=false
      rate_limited             429 rate_limit_error       retry=true
      request_aborted          400 invalid_request_error  retry=false
      internal_error           500 api_error              retry=true
      model_load_failed        500 api_error              retry=false
      upstream_error           502 api_error              retry=true
      no_capacity              529 overloaded_error       retry=true
      insufficient_memory      529 overloaded_error       retry=true
      node_unavailable         529 overloaded_error       retry=true
      queue_full               529 overloaded_error       retry=true
      insufficient_storage     500 api_error              retry=false
      overloaded               529 overloaded_error       retry=true
      upstream_timeout         504 timeout_error          retry=true"
    `);
  });

  it("builds the envelope Claude Code prints, with request id and retry-after", () => {
    const error = new CortexError(
      "context_length_exceeded",
      "prompt is too long: 250000 tokens > 200000 maximum",
    );
    expect(renderAnthropicError(error, "req_01")).toEqual({
      status: 400,
      headers: { "content-type": "application/json", "x-should-retry": "false", "request-id": "req_01" },
      body: {
        type: "error",
        error: {
          type: "invalid_request_error",
          message: "prompt is too long: 250000 tokens > 200000 maximum",
        },
        request_id: "req_01",
      },
    });
    expect(
      renderAnthropicError(new CortexError("rate_limited", "slow", { retryAfter: 7 })).headers["retry-after"],
    ).toBe("7");
  });
});

describe("encodeAnthropicModelList", () => {
  const models = ["a", "b", "c", "d", "e"].map((id, index) => ({ id, createdAt: 1764201600 + index }));

  it("lists models in Anthropic's shape", () => {
    expect(
      encodeAnthropicModelList(models.slice(0, 1).map((m) => ({ ...m, displayName: "Model A" }))),
    ).toEqual({
      data: [{ type: "model", id: "a", display_name: "Model A", created_at: "2025-11-27T00:00:00.000Z" }],
      has_more: false,
      first_id: "a",
      last_id: "a",
    });
  });

  it("pages forward and backward consistently", () => {
    const page = (options: Parameters<typeof encodeAnthropicModelList>[1]) => {
      const list = encodeAnthropicModelList(models, options);
      return {
        ids: list.data.map((m) => m.id).join(""),
        has_more: list.has_more,
        first: list.first_id,
        last: list.last_id,
      };
    };
    expect(page({ limit: 2 })).toEqual({ ids: "ab", has_more: true, first: "a", last: "b" });
    expect(page({ limit: "2", afterId: "b" })).toEqual({ ids: "cd", has_more: true, first: "c", last: "d" });
    expect(page({ limit: 2, afterId: "d" })).toEqual({ ids: "e", has_more: false, first: "e", last: "e" });
    expect(page({ limit: 2, beforeId: "e" })).toEqual({ ids: "cd", has_more: true, first: "c", last: "d" });
    expect(page({ limit: 2, beforeId: "c" })).toEqual({ ids: "ab", has_more: false, first: "a", last: "b" });
    expect(page({ afterId: "zzz" })).toEqual({ ids: "", has_more: false, first: null, last: null });
    expect(() => page({ limit: 0 })).toThrow(expect.objectContaining({ param: "limit" }));
    expect(() => page({ limit: "lots" })).toThrow(expect.objectContaining({ param: "limit" }));
  });
});
