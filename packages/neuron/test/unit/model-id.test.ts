import { describe, expect, it } from "vitest";
import { assertModelId } from "../../src/models/model-id.js";

describe("assertModelId", () => {
  it.each([
    "qwen3-0.6b-q8_0",
    "Llama-3.1-8B-Instruct.Q4_K_M",
    "model:latest",
    "a..b",
    "Qwen/Qwen3-8B-GGUF:Q4_K_M",
    "Qwen/Qwen3-0.6B",
  ])("accepts %j", (id) => {
    expect(() => assertModelId(id)).not.toThrow();
  });

  it.each([
    ["", "is empty"],
    ["../../etc/passwd", "must be a model name, not a path"],
    ["/etc/passwd", "must be a model name, not a path"],
    ["models\\evil", "must be a model name, not a path"],
    ["..", "must be a model name, not a path"],
    ["org/../x", "must be a model name, not a path"],
    ["org/./x", "must be a model name, not a path"],
    [".hidden", "must not start with '.'"],
    ["nul\0byte", "contains a NUL byte"],
  ])("refuses %j: %s", (id, problem) => {
    expect(() => assertModelId(id)).toThrow(
      expect.objectContaining({ code: "invalid_request", status: 400, param: "model" }),
    );
    expect(() => assertModelId(id)).toThrow(problem);
  });
});
