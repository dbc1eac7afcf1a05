import { CortexError } from "@cortex/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { upstreamUsage } from "../../src/dialects/upstream-json.js";

/** Strings that try to pass for a usage member: the tail read must not take them for one. */
const decoys = fc.constantFrom(
  '"usage":{"prompt_tokens":666}}',
  ',"usage":{"prompt_tokens":666}',
  'x\\","usage":{"prompt_tokens":666}}',
  "usage",
  "\\",
);
const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), decoys);
const usage = fc.oneof(
  fc.record({ prompt_tokens: fc.nat(), completion_tokens: fc.nat(), total_tokens: fc.nat() }),
  fc.record({ prompt_tokens: fc.nat(), prompt_tokens_details: fc.record({ cached_tokens: fc.nat() }) }),
  value,
);

describe("upstreamUsage (a passthrough answer's usage without parsing it whole)", () => {
  it("reads what JSON.parse would, whatever the members, their order, nesting and spacing", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.oneof(fc.string(), fc.constant("usage")), value), { maxLength: 6 }),
        fc.option(usage, { nil: undefined }),
        fc.constantFrom(undefined, 2),
        (members, last, indent) => {
          const body: Record<string, unknown> = Object.fromEntries(members);
          if (last !== undefined) {
            delete body.usage;
            body.usage = last;
          }
          const text = JSON.stringify(body, null, indent);
          expect(upstreamUsage(text, "n1")).toEqual((JSON.parse(text) as { usage?: unknown }).usage);
        },
      ),
    );
  });

  it("reads the usage of a neuron's embeddings answer from its tail", () => {
    const text = JSON.stringify({
      object: "list",
      data: [{ object: "embedding", index: 0, embedding: [0.5, -0.25] }],
      model: "m1",
      usage: { prompt_tokens: 7, total_tokens: 7 },
    });
    expect(upstreamUsage(text, "n1")).toEqual({ prompt_tokens: 7, total_tokens: 7 });
  });

  it("still refuses a body that is not a JSON object, even one ending like a usage member", () => {
    for (const text of ['<html>,"usage":{"prompt_tokens":1}}', '[{"usage":{"prompt_tokens":1}}]', ""]) {
      expect(() => upstreamUsage(text, "n1")).toThrow(CortexError);
    }
  });
});
