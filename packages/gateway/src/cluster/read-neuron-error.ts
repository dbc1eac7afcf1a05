import { CortexError, isErrorCode, type ErrorCode } from "@cortex/core";

/** How much of a non-JSON error body to quote: enough to recognise a proxy's HTML error page. */
const QUOTE_CHARS = 200;

/**
 * Codes a neuron may send that describe the gateway↔neuron hop, not the client's request: passing them
 * through would tell a client its own API key is wrong, or that the route it called does not exist.
 */
const HOP_CODES: ReadonlySet<string> = new Set([
  "authentication_failed",
  "invalid_api_key",
  "permission_denied",
  "not_found",
]);

/**
 * A neuron's non-2xx answer as a CortexError. The neuron speaks our code table inside OpenAI's envelope,
 * so its own code survives (`insufficient_memory` stays `insufficient_memory`, with the neuron's message);
 * anything else becomes `upstream_error` quoting what came back.
 */
export function readNeuronError(
  node: string,
  statusCode: number,
  body: string,
  retryAfterHeader?: string | string[],
): CortexError {
  const cause = new Error(`neuron ${node} answered ${statusCode}: ${quote(body)}`);
  const envelope = parseEnvelope(body);
  if (envelope === undefined) {
    return new CortexError("upstream_error", cause.message, { cause });
  }
  if (HOP_CODES.has(envelope.code ?? "")) {
    const hint = statusCode === 401 ? " (check gateway.neuron_token / neurons[].token)" : "";
    return new CortexError(
      "upstream_error",
      `neuron ${node} refused the request${hint}: ${envelope.message}`,
      {
        cause,
      },
    );
  }
  if (isErrorCode(envelope.code)) {
    const code: ErrorCode = envelope.code;
    return new CortexError(code, envelope.message, {
      cause,
      param: envelope.param,
      retryAfter: retryAfterSeconds(retryAfterHeader),
    });
  }
  return new CortexError("upstream_error", `neuron ${node} answered ${statusCode}: ${envelope.message}`, {
    cause,
  });
}

interface Envelope {
  message: string;
  code: string | undefined;
  param: string | undefined;
}

function parseEnvelope(body: string): Envelope | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const error = (parsed as { error?: unknown } | null)?.error;
  if (typeof error !== "object" || error === null) return undefined;
  const { message, code, param } = error as Record<string, unknown>;
  if (typeof message !== "string") return undefined;
  return {
    message,
    code: typeof code === "string" ? code : undefined,
    param: typeof param === "string" ? param : undefined,
  };
}

function retryAfterSeconds(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const seconds = value === undefined ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

function quote(body: string): string {
  const flat = body.replace(/\s+/g, " ").trim();
  if (flat === "") return "(empty body)";
  return flat.length > QUOTE_CHARS ? `${flat.slice(0, QUOTE_CHARS)}…` : flat;
}
