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
