import { describe, expect, it } from "vitest";
import {
  didYouMean,
  formatBytes,
  formatListenAddress,
  parseByteSize,
  parseDuration,
  parseListenAddress,
} from "../../src/config/index.js";

describe("parseByteSize", () => {
  it.each([
    [1234, 1234],
    ["0", 0],
    ["64MiB", 64 * 1024 ** 2],
    ["1.5GiB", 1.5 * 1024 ** 3],
    ["512MB", 512e6],
    ["800k", 800e3],
    ["2 tib", 2 * 1024 ** 4],
    ["10Mi", 10 * 1024 ** 2],
    ["100b", 100],
  ] as const)("%s -> %d", (input, bytes) => {
    expect(parseByteSize(input)).toBe(bytes);
  });

  it.each(["", "MiB", "-1MiB", "12XB", "1.5.5k", "1e3"])("rejects %j", (input) => {
    expect(() => parseByteSize(input)).toThrow(/invalid byte size/);
  });

  it("rejects fractional and negative numbers", () => {
    expect(() => parseByteSize(1.5)).toThrow(/whole number/);
    expect(() => parseByteSize(-1)).toThrow(/whole number/);
  });
});

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [800, "800 B"],
    [1.5 * 1024 ** 3, "1.5 GiB"],
    [512 * 1024 ** 2, "512 MiB"],
    [1.25 * 1024, "1.25 KiB"],
    [-2 * 1024 ** 2, "-2 MiB"],
  ])("%d -> %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe("parseDuration", () => {
  it.each([
    [250, 250],
    ["250ms", 250],
    ["5s", 5000],
    ["1.5s", 1500],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["0", 0],
  ] as const)("%s -> %d ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(["5", "5 days", "s", "-1s"])("rejects %j", (input) => {
    expect(() => parseDuration(input)).toThrow(/invalid duration/);
  });
});

describe("parseListenAddress", () => {
  it.each([
    ["0.0.0.0:31313", { host: "0.0.0.0", port: 31313 }],
    [":8080", { host: "0.0.0.0", port: 8080 }],
    ["localhost:0", { host: "localhost", port: 0 }],
    ["[::1]:65535", { host: "::1", port: 65535 }],
  ])("%s", (input, address) => {
    expect(parseListenAddress(input)).toEqual(address);
    expect(parseListenAddress(formatListenAddress(address))).toEqual(address);
  });

  it.each(["8080", "::1:8080", "host:", "host:65536", "host:-1", "a b:1", "[::1]8080"])(
    "rejects %j",
    (input) => {
      expect(() => parseListenAddress(input)).toThrow(/listen address/);
    },
  );
});

describe("didYouMean", () => {
  it("suggests close keys and nothing for unrelated ones", () => {
    expect(didYouMean("stratgy", ["strategy", "defrag_after_cycles"])).toBe("strategy");
    expect(didYouMean("defragAfterCycles", ["strategy", "defrag_after_cycles"])).toBe("defrag_after_cycles");
    expect(didYouMean("banana", ["strategy", "defrag_after_cycles"])).toBeUndefined();
  });
});
