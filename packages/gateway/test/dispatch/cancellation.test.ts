import { describe, expect, it } from "vitest";
import { Cancellation } from "../../src/cancellation.js";

describe("Cancellation", () => {
  it("aborts once, with the first reason, and notifies listeners once", () => {
    const cancellation = new Cancellation();
    let calls = 0;
    cancellation.on("abort", () => calls++);

    cancellation.abort("first");
    cancellation.abort("second");

    expect(cancellation.aborted).toBe(true);
    expect(cancellation.reason).toBe("first");
    expect(calls).toBe(1);
    expect(() => cancellation.throwIfAborted()).toThrow("first");
  });

  it("hands out an AbortSignal that follows it, made before or after the abort", () => {
    const early = new Cancellation();
    const signal = early.signal;
    expect(signal.aborted).toBe(false);
    early.abort(new Error("gone"));
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toEqual(new Error("gone"));

    const late = new Cancellation();
    late.abort("late");
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBe("late");
    expect(late.signal).toBe(late.signal);
  });

  it("does nothing until aborted", () => {
    const cancellation = new Cancellation();
    expect(cancellation.aborted).toBe(false);
    expect(cancellation.reason).toBeUndefined();
    expect(() => cancellation.throwIfAborted()).not.toThrow();
  });
});
