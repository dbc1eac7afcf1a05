type Token =
  | { kind: "open"; text: "{" | "[" }
  | { kind: "close"; text: "}" | "]" }
  | { kind: "colon" | "comma"; text: string }
  | { kind: "string" | "literal"; text: string }
  /** `unterminated`: runs to the end of the text, so more digits may have followed. */
  | { kind: "number"; text: string; unterminated: boolean };

const LITERALS = ["true", "false", "null"];
/** JSON's own whitespace; anything else outside a string means the text is not JSON. */
const WHITESPACE = /^[ \t\n\r]*$/;
const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/;

/**
 * The value a JSON text cut off mid-way stands for, keeping only what was complete: an unfinished string,
 * number or literal is left out (with the key it was the value of), open objects and arrays are closed.
 * `{"city": "Par` → `{}`, `{"a": 1, "b": [true, 2` → `{"a": 1, "b": [true]}`. These are the rules of the
 * Anthropic SDK's stream accumulator (its vendored partial-json-parser), so a truncated tool call reads
 * the same from a non-streaming answer as from a stream; a test holds the two side by side. Undefined
 * when the text is not the start of a JSON value.
 */
export function completePartialJson(text: string): unknown {
  const tokens = tokenize(text);
  if (!tokens) return undefined;
  const closed = close(strip(tokens));
  if (!closed) return undefined;
  try {
    // Spaces keep adjacent scalars apart, so `12 3` stays invalid instead of becoming 123.
    return JSON.parse(closed.map((token) => token.text).join(" ")) as unknown;
  } catch {
    return undefined;
  }
}

function tokenize(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const char = text.charAt(at);
    if (char === "{" || char === "[") tokens.push({ kind: "open", text: char });
    else if (char === "}" || char === "]") tokens.push({ kind: "close", text: char });
    else if (char === ":") tokens.push({ kind: "colon", text: char });
    else if (char === ",") tokens.push({ kind: "comma", text: char });
    else if (char === '"') {
      const end = closingQuote(text, at + 1);
      // An unfinished string is dropped, and it runs to the end of the text.
      if (end === -1) return tokens;
      tokens.push({ kind: "string", text: text.slice(at, end + 1) });
      at = end;
    } else if (/[0-9.-]/.test(char)) {
      const number = /^-?[0-9.]*(?:[eE][-+]?[0-9.]*)*/.exec(text.slice(at))?.[0] ?? char;
      at += number.length;
      tokens.push({ kind: "number", text: number, unterminated: at === text.length });
      continue;
    } else if (/[a-zA-Z]/.test(char)) {
      const word = /^[a-zA-Z]+/.exec(text.slice(at))?.[0] ?? char;
      at += word.length;
      if (LITERALS.includes(word)) tokens.push({ kind: "literal", text: word });
      // A literal cut off by the end (`nul`) is dropped; any other word means this is not JSON.
      else if (!(LITERALS.some((literal) => literal.startsWith(word)) && WHITESPACE.test(text.slice(at))))
        return undefined;
      continue;
    } else if (!WHITESPACE.test(char)) return undefined;
    at += 1;
  }
  return tokens;
}

/** The index of the `"` closing a string whose text starts at `from` (after an even run of `\`), or -1. */
function closingQuote(text: string, from: number): number {
  for (let at = text.indexOf('"', from); at !== -1; at = text.indexOf('"', at + 1)) {
    let backslashes = 0;
    while (text.charAt(at - 1 - backslashes) === "\\" && at - 1 - backslashes >= from) backslashes += 1;
    if (backslashes % 2 === 0) return at;
  }
  return -1;
}

/** Drops the incomplete tail: a dangling `:`, an unfinished number, a key without its value, a `,`. */
function strip(tokens: Token[]): Token[] {
  const open: string[] = [];
  for (const token of tokens) {
    if (token.kind === "open") open.push(token.text);
    else if (token.kind === "close") open.pop();
  }
  // Brackets are never stripped, so the innermost open one stays the same below.
  const innermost = open.at(-1);
  let length = tokens.length;
  while (length > 0) {
    const last = tokens[length - 1];
    if (last?.kind === "colon") {
      length -= 1;
      continue;
    }
    if (last?.kind === "number" && (last.unterminated || !JSON_NUMBER.test(last.text))) {
      length -= 1;
      continue;
    }
    if (last?.kind === "string" && innermost === "{") {
      const before = tokens[length - 2];
      // In an object a string after `{` or `,` is a key still waiting for its value.
      if (before?.kind === "comma" || (before?.kind === "open" && before.text === "{")) {
        length -= 1;
        continue;
      }
    }
    if (last?.kind === "comma") length -= 1;
    break;
  }
  return tokens.slice(0, length);
}

/** Appends the closers of every bracket still open; undefined for a closer that matches nothing. */
function close(tokens: Token[]): Token[] | undefined {
  const expected: ("}" | "]")[] = [];
  for (const token of tokens) {
    if (token.kind === "open") expected.push(token.text === "{" ? "}" : "]");
    else if (token.kind === "close" && expected.pop() !== token.text) return undefined;
  }
  return [...tokens, ...expected.reverse().map((text) => ({ kind: "close" as const, text }))];
}
