import fc from "fast-check";

/**
 * Values a hostile or careless client can put in a JSON body: only what `JSON.parse` can produce (no
 * NaN, no undefined), biased towards the strings and numbers that break parsers and translators.
 */

/** Keys that name things in JavaScript objects; a decoder must treat them as plain data. */
export const PROTOTYPE_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"];

const SPECIAL_STRINGS = [
  "",
  " ",
  "\n",
  "\t \r\n",
  "\u0000",
  "\uFEFF",
  "\uD800",
  "\uDFFF",
  "é",
  "😀",
  "[DONE]",
  "data: x",
  "event: error",
  "<|im_start|>",
  "</s>",
  "${x}",
  "%s%n",
  "null",
  "undefined",
  "NaN",
  "file:///etc/passwd",
  "http://127.0.0.1:1/x",
  "https://example.com/a.png",
  "data:image/png;base64,AAAA",
  "data:text/html,<script>",
  "javascript:alert(1)",
  "a".repeat(300),
  ...PROTOTYPE_KEYS,
];

/** Strings: special values, unicode text (lone surrogates included), or short ASCII. */
export function hostileString(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
    { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 8 }) },
  );
}

const SPECIAL_NUMBERS = [
  0,
  -0,
  -1,
  1,
  0.5,
  1.5,
  2,
  4,
  5,
  64,
  65,
  128,
  257,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  1e21,
  1e308,
  -1e308,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
];

export function hostileNumber(): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...SPECIAL_NUMBERS) },
    { weight: 2, arbitrary: fc.integer({ min: -1000, max: 100_000 }) },
    { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  );
}

export function hostileScalar(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: hostileString() },
    { weight: 2, arbitrary: hostileNumber() },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constant(null) },
  );
}

/** Keys: the pool a schema knows (so mutations reach real fields), prototype names, anything. */
export function hostileKey(known: readonly string[] = []): fc.Arbitrary<string> {
  return fc.oneof(
    ...(known.length > 0 ? [{ weight: 3, arbitrary: fc.constantFrom(...known) }] : []),
    { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
    { weight: 2, arbitrary: hostileString() },
  );
}

/** Any JSON value, at most `depth` containers deep. */
export function hostileJson(
  options: { depth?: number; keys?: readonly string[] } = {},
): fc.Arbitrary<unknown> {
  const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
    tree: fc.oneof(
      { depthSize: "small", maxDepth: options.depth ?? 3, withCrossShrink: true },
      hostileScalar(),
      fc.array(tie("tree"), { maxLength: 4 }),
      fc.dictionary(hostileKey(options.keys), tie("tree"), { maxKeys: 4 }),
    ),
  }));
  return tree.map(jsonRoundTrip);
}

/** Containers far deeper than any real request (`depth` levels of arrays or objects). */
export function deepNesting(maxDepth: number): fc.Arbitrary<unknown> {
  return fc
    .record({
      depth: fc.integer({ min: 1, max: maxDepth }),
      kind: fc.constantFrom("array", "object", "mixed"),
    })
    .map(({ depth, kind }) => {
      let value: unknown = 1;
      for (let level = 0; level < depth; level++) {
        const asArray = kind === "array" || (kind === "mixed" && level % 2 === 0);
        value = asArray ? [value] : { a: value };
      }
      return value;
    });
}

/** Arrays far longer than any real request, of one repeated hostile value. */
export function hugeArray(maxLength: number): fc.Arbitrary<unknown[]> {
  return fc
    .record({ length: fc.integer({ min: 1, max: maxLength }), item: hostileScalar() })
    .map(({ length, item }) => Array.from({ length }, () => item));
}

/**
 * What `JSON.parse(JSON.stringify(x))` gives: the form a decoder really receives (-0 becomes 0, and a
 * `__proto__` key is an own property, as `JSON.parse` makes it, not a prototype).
 */
export function jsonRoundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
