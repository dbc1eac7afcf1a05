import { describe, expect, it } from "vitest";
import { formatDecisions, formatTime } from "../src/format/format-decisions.js";

describe("formatDecisions", () => {
  const at = Date.UTC(2026, 10, 27, 7, 8, 9, 500);

  it("lists decisions oldest first with UTC times and '-' for no node", () => {
    const text = formatDecisions(
      [
        { at, kind: "pin", model: "big", node: null, requestId: "r1", message: "pinned big" },
        {
          at: at + 61_000,
          kind: "evict",
          model: "small",
          node: "gpu-a",
          requestId: "r2",
          message: "evicted small on gpu-a to load big for request r2 (lru: last used 12m ago)",
        },
      ],
      { color: false },
    );
    expect(text.split("\n")).toEqual([
      "TIME (UTC)           KIND   MODEL  NODE   MESSAGE",
      "2026-11-27 07:08:09  pin    big    -      pinned big",
      "2026-11-27 07:09:10  evict  small  gpu-a  evicted small on gpu-a to load big for request r2 (lru: last used 12m ago)",
      "",
    ]);
  });

  it("says so when there are none", () => {
    expect(formatDecisions([], { color: false })).toBe("no decisions yet\n");
  });

  it("formats times to the second in UTC", () => {
    expect(formatTime(0)).toBe("1970-01-01 00:00:00");
  });
});
