import { describe, expect, it } from "vitest";
import { decodeOpenAIError, renderOpenAIError } from "../../src/dialects/index.js";
import { CortexError, ERROR_CODES, type ErrorCode } from "../../src/errors/index.js";

describe("renderOpenAIError", () => {
  it("renders every code in the table", () => {
    const rows = (Object.keys(ERROR_CODES) as ErrorCode[]).map((code) => {
      const { status, body, headers } = renderOpenAIError(new CortexError(code, "m"));
      return `${code.padEnd(24)} ${status} ${body.error.type.padEnd(22)} ${body.error.code.padEnd(24)} retry=${headers["x-should-retry"]}`;
    });
    expect(rows.join("\n")).toMatchInlineSnapshot(`
      "invalid_request          400 invalid_request_error  invalid_request          retry=false
      context_length_exceeded  400 invalid_request_error  context_length_exceeded  retry=false
      previous_response_not_found 400 invalid_request_error  previous_response_not_found retry=false
      authentication_failed    401 authentication_error   invalid_api_key          retry=false
      permission_denied        403 permission_error       permission_denied        retry=false
      hub_access_denied        403 permission_error       hub_access_denied        retry=false
      model_not_found          404 invalid_request_error  model_not_found          retry=false
      not_found                404 invalid_request_error  not_found                retry=false
      request_timeout          408 invalid_request_error  request_timeout          retry=false
      request_too_large        413 invalid_request_error  request_too_large        retry=false
      headers_too_large        431 invalid_request_error  headers_too_large        retry=false
      rate_limited             429 requests               rate_limit_exceeded      retry=true
      request_aborted          400 invalid_request_error  request_aborted          retry=false
      internal_error           500 server_error           internal_error           retry=true
      model_load_failed        500 server_error           model_load_failed        retry=false
      upstream_error           502 server_error           upstream_error           retry=true
      no_capacity              503 server_error           no_capacity              retry=true
      insufficient_memory      503 server_error           insufficient_memory      retry=true
      node_unavailable         503 server_error           node_unavailable         retry=true
      queue_full               503 server_error           queue_full               retry=true
      insufficient_storage     507 server_error           insufficient_storage     retry=false
      overloaded               503 server_error           overloaded               retry=true
      upstream_timeout         504 server_error           upstream_timeout         retry=true"
    `);
  });

  it("carries param, retry-after and the request id", () => {
    const rendered = renderOpenAIError(new CortexError("no_capacity", "busy", { retryAfter: 2.5 }), "req_1");
    expect(rendered.headers).toEqual({
      "content-type": "application/json",
      "x-should-retry": "true",
      "retry-after": "3",
      "x-request-id": "req_1",
    });
    const invalid = renderOpenAIError(new CortexError("invalid_request", "n: only 1", { param: "n" }));
    expect(invalid.body).toEqual({
      error: { message: "n: only 1", type: "invalid_request_error", param: "n", code: "invalid_request" },
    });
  });
});

describe("decodeOpenAIError", () => {
  it.each([
    [{ error: { message: "x", code: "no_capacity" } }, 503, "no_capacity", "x"],
    [
      { error: { message: "bad key", code: "invalid_api_key", type: "invalid_request_error" } },
      401,
      "authentication_failed",
      "bad key",
    ],
    [{ error: { message: "slow down", type: "requests" } }, undefined, "rate_limited", "slow down"],
    [
      { error: { message: "model 'x' not found", type: "not_found_error" } },
      404,
      "model_not_found",
      "model 'x' not found",
    ],
    [
      { error: { code: 503, message: "Loading model", type: "unavailable_error" } },
      undefined,
      "no_capacity",
      "Loading model",
    ],
    [{ detail: "Not Found" }, 404, "not_found", "Not Found"],
    [{ error: "gateway exploded" }, 502, "upstream_error", "gateway exploded"],
    ["<html>", 500, "upstream_error", "upstream error (HTTP 500)"],
    [
      {
        object: "error",
        message:
          "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion).",
        type: "BadRequestError",
        code: 400,
      },
      undefined,
      "context_length_exceeded",
      "prompt is too long: 5000 tokens > 4096 maximum",
    ],
    [
      {
        error: {
          message: "the request exceeds the available context size",
          type: "exceed_context_size_error",
          n_prompt_tokens: 9000,
          n_ctx: 8192,
        },
      },
      400,
      "context_length_exceeded",
      "prompt is too long: 9000 tokens > 8192 maximum",
    ],
  ])("decodes %j (status %s) as %s", (body, status, code, message) => {
    const error = decodeOpenAIError(body, status === undefined ? {} : { status });
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
  });

  it.each(["constructor", "toString", "__proto__", "hasOwnProperty"])(
    "reads a code or type named %s as an unknown one, not as Object.prototype's (found by fuzzing)",
    (name) => {
      // Used to look the name up on a plain object, find Object.prototype's function and throw a
      // TypeError: a mid-stream `{"error":{"code":"constructor"}}` from an upstream became a 500.
      expect(decodeOpenAIError({ error: { message: "m", code: name } })).toMatchObject({
        code: "upstream_error",
      });
      expect(decodeOpenAIError({ error: { message: "m", type: name } })).toMatchObject({
        code: "upstream_error",
      });
    },
  );

  it("keeps param and retryAfter", () => {
    const error = decodeOpenAIError(
      { error: { message: "m", param: "stop" } },
      { status: 400, retryAfter: 4 },
    );
    expect(error).toMatchObject({ code: "invalid_request", param: "stop", retryAfter: 4 });
  });
});
