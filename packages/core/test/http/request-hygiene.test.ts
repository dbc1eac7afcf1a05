import { describe, expect, it } from "vitest";
import { acceptRequestId, jsonNestsDeeperThan, secretMatches } from "../../src/http/index.js";

describe("jsonNestsDeeperThan", () => {
  it("counts arrays and objects, not brackets inside strings", () => {
    expect(jsonNestsDeeperThan("[".repeat(5) + "]".repeat(5), 4)).toBe(true);
    expect(jsonNestsDeeperThan("[".repeat(4) + "]".repeat(4), 4)).toBe(false);
    expect(jsonNestsDeeperThan(`{"a":[{"b":[1]}]}`, 4)).toBe(false);
    expect(jsonNestsDeeperThan(`{"a":[{"b":[{}]}]}`, 4)).toBe(true);
    const inString = JSON.stringify({ text: '[[[[[[[[[[ {{{{{{{{ \\" [[[[' });
    expect(jsonNestsDeeperThan(inString, 2)).toBe(false);
  });
});

describe("acceptRequestId", () => {
  it("keeps short ids of a safe charset and refuses markup, spaces, non-ASCII and long ones", () => {
    for (const id of ["req_abc", "0f8e-11aa", "client:42.7", "b64+/=="]) expect(acceptRequestId(id)).toBe(id);
    for (const id of ["", "a b", "<x>", "é", "x".repeat(129), "a\nb", 42, undefined]) {
      expect(acceptRequestId(id)).toBeUndefined();
    }
  });
});

describe("secretMatches", () => {
  it("keys of different lengths are compared as fixed-length digests: only the exact key matches", () => {
    expect(secretMatches("sk-alpha", "sk-alpha")).toBe(true);
    for (const other of ["sk-alph", "sk-alphaa", "", "SK-ALPHA", "sk-alpha ".trim() + "\u0000"]) {
      expect(secretMatches(other, "sk-alpha")).toBe(false);
    }
  });
});
