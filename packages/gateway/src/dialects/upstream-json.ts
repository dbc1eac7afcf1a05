import { CortexError } from "@cortex/core";

/**
 * What a node's 200 must be: a JSON object (non-streaming), or JSON chunks ending with `[DONE]` (a
 * neuron always sends it, after a mid-stream error too). Anything else came from something that is not
 * a working neuron (a proxy's error page, a half-written stream): the node's fault, 502 to the client in
 * its dialect, never relayed as if it were an answer (issue 11 finding 9).
 */
export function parseUpstreamBody(text: string, node: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    value = undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CortexError(
      "upstream_error",
      `neuron ${node} answered with a body that is not a JSON object: ${excerpt(text)}`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * A non-streaming answer's top-level `usage`, read from the end of the body when it is there: a neuron
 * writes `usage` as its answers' last member, so a body framed `{…,"usage":{…}}` need not be parsed whole
 * for its token counts (an embeddings batch of 2048 × 1024 floats, ≈ 40 MiB, took ≈ 240 ms of JSON.parse
 * on the event loop; this takes under a microsecond). Sound on valid JSON: a string cannot hold an
 * unescaped `"`, so `"usage":` there is a key, and its value reaching the body's last `}` makes it a
 * top-level one (the last, as JSON.parse would keep). Any other body (an error page, another order) is
 * parsed whole by `parseUpstreamBody`, which also refuses it when it is not a JSON object.
 */
export function upstreamUsage(text: string, node: string): unknown {
  return tailUsage(text) ?? parseUpstreamBody(text, node).usage;
}

function tailUsage(text: string): object | undefined {
  let start = 0;
  while (start < text.length && isSpace(text.charCodeAt(start))) start++;
  let end = text.length;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  if (text[start] !== "{" || text[end - 1] !== "}") return undefined;
  const key = text.lastIndexOf('"usage"', end - 1);
  if (key <= start) return undefined;
  let colon = key + '"usage"'.length;
  while (isSpace(text.charCodeAt(colon))) colon++;
  if (text[colon] !== ":") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text.slice(colon + 1, end - 1)) as unknown;
  } catch {
    return undefined;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
}

/** JSON's whitespace: space, tab, line feed, carriage return. */
function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** One `data:` payload of a node's stream (not `[DONE]`). */
export function parseUpstreamChunk(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    throw new CortexError("upstream_error", `the node sent a chunk that is not JSON: ${excerpt(data)}`);
  }
}

/** The node's stream ended (EOF) before `[DONE]`: the answer may be cut anywhere, so it is not final. */
export function endedWithoutDone(): CortexError {
  return new CortexError("upstream_error", "the node ended the stream without [DONE]");
}

function excerpt(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
