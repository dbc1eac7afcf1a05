import { describe, expect, it } from "vitest";
import { humanAge } from "@cortex/core";
import { humanBytes } from "../../src/routing/policy-terms.js";

describe("humanBytes", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1536, "1.5 KiB"],
    [800 * 1024 ** 2, "800 MiB"],
    [1.2 * 1024 ** 3, "1.2 GiB"],
    [2 * 1024 ** 3, "2 GiB"],
    [-512 * 1024 ** 2, "-512 MiB"],
    [3 * 1024 ** 4, "3 TiB"],
  ])("%d bytes is %s", (bytes, expected) => {
    expect(humanBytes(bytes)).toBe(expected);
  });
});

describe("humanAge", () => {
  it.each([
    [0, "0s"],
    [59_999, "59s"],
    [12 * 60_000, "12m"],
    [3 * 3_600_000, "3h"],
    [47 * 3_600_000, "47h"],
    [72 * 3_600_000, "3d"],
    [-5_000, "0s"],
  ])("%d ms is %s", (ms, expected) => {
    expect(humanAge(ms)).toBe(expected);
  });
});
