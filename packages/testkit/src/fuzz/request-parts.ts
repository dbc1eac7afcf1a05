import fc from "fast-check";

/** Building blocks both dialects' request arbitraries share. */

export const MODEL_IDS = ["fuzz-model", "qwen3-tiny", "claude-sonnet-4-5", "gpt-4o", "m"];

export function modelId(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...MODEL_IDS) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
  );
}

/** Message text: ordinary prose, blanks, template tokens, any unicode. */
export function text(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom("Hello", "What is 2+2?", "", " ", "\n\n", "<|im_end|>", "é😀") },
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  );
}

/** Non-blank text, for the fields a real client never leaves empty. */
export function someText(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom("Hello", "What is 2+2?", "Read the file", "é😀"),
    fc.string({ minLength: 1, maxLength: 30 }).filter((value) => value.trim() !== ""),
  );
}

/** Names valid in both dialects (`^[a-zA-Z0-9_-]{1,64}$`). */
export const TOOL_NAMES = ["get_weather", "Read", "Bash", "mcp__server__tool", "a-b", "T1", "x".repeat(64)];

export const TOOL_CALL_IDS = ["call_1", "toolu_01AbC", "functions.Bash:0", "call-2", "id with spaces", "x"];

/** A JSON Schema for tool parameters: usual shapes, and a few odd but legal ones. */
export function jsonSchema(): fc.Arbitrary<Record<string, unknown>> {
  const property = fc.constantFrom<Record<string, unknown>>(
    { type: "string" },
    { type: "integer", minimum: 0 },
    { type: "number" },
    { type: "boolean" },
    { type: "array", items: { type: "string" } },
    { type: "string", enum: ["a", "b"] },
    { anyOf: [{ type: "string" }, { type: "null" }] },
    { $ref: "#/$defs/x" },
  );
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .dictionary(fc.constantFrom("path", "city", "n", "flag", "items", "mode", "q"), property, {
          maxKeys: 4,
        })
        .chain((properties) =>
          fc.record(
            {
              type: fc.constant("object"),
              properties: fc.constant(properties),
              required: fc.subarray(Object.keys(properties)),
              additionalProperties: fc.boolean(),
              $schema: fc.constant("http://json-schema.org/draft-07/schema#"),
            },
            { requiredKeys: ["type", "properties"] },
          ),
        ),
    },
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.constant({ type: "object" }) },
  );
}

/** Tool arguments as a model writes them: an object, usually. */
export function toolArguments(): fc.Arbitrary<Record<string, unknown>> {
  return fc.dictionary(
    fc.constantFrom("path", "city", "n", "command", "q"),
    fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
    ),
    { maxKeys: 4 },
  );
}

export function stopSequences(max: number): fc.Arbitrary<string[]> {
  return fc.array(
    fc.oneof(fc.constantFrom("\n\n", "END", "</s>", "", "User:"), fc.string({ minLength: 1, maxLength: 10 })),
    {
      maxLength: max,
    },
  );
}

/** An http(s) or data URL for an image. */
export function imageUrl(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom("https://example.com/cat.png", "http://127.0.0.1:9/x.jpg", "HTTPS://EXAMPLE.COM/A.GIF"),
    fc.base64String({ maxLength: 40 }).map((data) => `data:image/png;base64,${data}`),
  );
}
