import { describe, expect, it } from "vitest";
import type { CanonicalChatRequest, CanonicalMessage } from "../../src/canonical/index.js";
import {
  PREFIX_REPORT_LIMIT,
  PREFIX_SCHEME,
  PrefixReportSchema,
  prefixFingerprints,
  stableJson,
} from "../../src/protocol/index.js";

const user = (text: string): CanonicalMessage => ({ role: "user", content: [{ type: "text", text }] });
const tool = { name: "Read", description: "Read a file", parameters: { type: "object", properties: {} } };

function request(
  messages: CanonicalMessage[],
  tools = [tool],
): Pick<CanonicalChatRequest, "messages" | "tools"> {
  return { messages, tools };
}

describe("prefixFingerprints", () => {
  const system: CanonicalMessage = { role: "system", content: "You are terse." };

  it("is a chain: a head for tools and system prompt, then one link per message", () => {
    const first = prefixFingerprints(request([system, user("a")]));
    const next = prefixFingerprints(
      request([system, user("a"), { role: "assistant", content: "b", toolCalls: [] }, user("c")]),
    );
    expect(first).toHaveLength(2);
    expect(next.slice(0, 2)).toEqual(first);
    expect(next).toHaveLength(4);
    for (const fp of next) expect(fp).toMatch(/^[0-9a-f]{16}$/);
  });

  it("separates what renders differently and nothing else", () => {
    const base = prefixFingerprints(request([system, user("a")]));
    expect(prefixFingerprints(request([system, user("b")]))[0]).toBe(base[0]);
    expect(prefixFingerprints(request([system, user("b")]))[1]).not.toBe(base[1]);
    expect(prefixFingerprints(request([user("a")]))[0]).not.toBe(base[0]);
    expect(prefixFingerprints(request([system, user("a")], []))[0]).not.toBe(base[0]);
    // Key order is not content.
    const reordered = { parameters: tool.parameters, description: tool.description, name: tool.name };
    expect(prefixFingerprints(request([system, user("a")], [reordered]))).toEqual(base);
    // A tool result's isError does not cross the OpenAI wire; its "Error: " text does.
    const result = (isError?: boolean): CanonicalMessage => ({
      role: "tool",
      toolCallId: "t1",
      content: "Error: denied",
      ...(isError === undefined ? {} : { isError }),
    });
    expect(prefixFingerprints(request([system, result(true)]))).toEqual(
      prefixFingerprints(request([system, result()])),
    );
  });

  it("stableJson sorts keys at every depth and drops undefined like JSON does", () => {
    expect(stableJson({ b: 1, a: { d: [1, { f: 2, e: undefined }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"f":2}]},"b":1}',
    );
  });
});

describe("PrefixReportSchema", () => {
  const item = { fp: "0123456789abcdef", tokens: 12, where: "ram" };

  it("accepts a report and rejects anything off-protocol", () => {
    expect(PrefixReportSchema.parse({ scheme: PREFIX_SCHEME, prefixes: [item] })).toEqual({
      scheme: PREFIX_SCHEME,
      prefixes: [item],
    });
    for (const bad of [
      { scheme: "other", prefixes: [] },
      { scheme: PREFIX_SCHEME, prefixes: [{ ...item, fp: "XYZ" }] },
      { scheme: PREFIX_SCHEME, prefixes: [{ ...item, where: "gpu" }] },
      { scheme: PREFIX_SCHEME, prefixes: [{ ...item, extra: 1 }] },
      { scheme: PREFIX_SCHEME, prefixes: [], extra: 1 },
      { scheme: PREFIX_SCHEME, prefixes: Array.from({ length: PREFIX_REPORT_LIMIT + 1 }, () => item) },
    ]) {
      expect(PrefixReportSchema.safeParse(bad).success, JSON.stringify(bad).slice(0, 80)).toBe(false);
    }
  });
});
