// The Anthropic SDK's own accumulator, which reads a streamed tool_use input: the reference to match.
import { partialParse } from "@anthropic-ai/sdk/_vendor/partial-json-parser/parser";
import { describe, expect, it } from "vitest";
import { completePartialJson } from "../../src/dialects/shared/complete-partial-json.js";

/** Documents whose every prefix is a tool call cut off somewhere by max_tokens. */
const DOCUMENTS = [
  '{"city": "Paris", "unit": "celsius"}',
  '{\n    "city": "Paris \\"sur\\" Seine\\\\", "days": [1, 2.5, -3e-2, 40], "ok": true, "none": null}',
  '{"nested": {"a": [{"b": false}, "x", []], "c": {}}, "last": "é 🌍 \\u00e9"}',
  '{"a":-0.5E+3,"b":[true,false,null],"c":"\\n\\t"}',
  '[1, {"k": "v"}, ["deep", [0]]]',
];

function sdk(text: string): unknown {
  try {
    return partialParse(text);
  } catch {
    return undefined;
  }
}

describe("completePartialJson", () => {
  it("reads every prefix of a cut-off tool call exactly as the Anthropic SDK's stream accumulator does", () => {
    let compared = 0;
    for (const document of DOCUMENTS) {
      for (let end = 1; end <= document.length; end++) {
        const prefix = document.slice(0, end);
        expect({ prefix, value: completePartialJson(prefix) }).toEqual({ prefix, value: sdk(prefix) });
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(250);
  });

  it.each([
    ['{"city": " too', {}],
    ['{"city": "Paris", "unit": "cel', { city: "Paris" }],
    ['{"a": 1, "b": [true, 2', { a: 1, b: [true] }],
    ['{"a": nul', {}],
    ['{"a": {"b": ', { a: {} }],
  ])("keeps only what was complete: %s", (text, expected) => {
    expect(completePartialJson(text)).toEqual(expected);
  });

  it.each(['{"a": nope', "{]", '{"a" 1 2'])(
    "is undefined for text that is not the start of JSON: %s",
    (text) => {
      expect(completePartialJson(text)).toBeUndefined();
      expect(sdk(text)).toBeUndefined();
    },
  );
});
