import { describe, expect, it } from "vitest";
import { CortexError, ERROR_CODES, toCortexError } from "../src/errors/index.js";

describe("CortexError", () => {
  it("takes status and retryability from the code table", () => {
    const error = new CortexError("no_capacity", "nothing fits", { retryAfter: 5 });
    expect(error.status).toBe(503);
    expect(error.retryable).toBe(true);
    expect(error.retryAfter).toBe(5);
  });

  it("wraps unknown throwables as internal errors and keeps the cause", () => {
    const cause = new Error("boom");
    const error = toCortexError(cause);
    expect(error.code).toBe("internal_error");
    expect(error.cause).toBe(cause);
  });

  it("uses only 4xx/5xx statuses", () => {
    for (const { status } of Object.values(ERROR_CODES)) {
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
  });
});
