import { CortexError, isErrorCode, type ErrorCode } from "@cortex/core";
import type { z } from "zod";

/**
 * Every way a neuron's answer becomes a CortexError, in one place, with one rule: what a neuron says
 * about the client's request keeps its code and message (`insufficient_memory`, `prompt is too long: …`);
 * what describes the gateway↔neuron hop itself (a refused token, a missing route) or is not our envelope
 * at all becomes `upstream_error` naming the node, because passing it on would tell the client something
 * false (that its own key is wrong, that the route it called does not exist).
 */

/** How much of a non-JSON error body to quote: enough to recognise a proxy's HTML error page. */
const QUOTE_CHARS = 200;

/** Codes a neuron may send that describe the hop, not the client's request. */
const HOP_CODES: ReadonlySet<string> = new Set([
  "authentication_failed",
  "invalid_api_key",
  "permission_denied",
  "not_found",
]);

/** A neuron's non-2xx answer (its body already read, capped) as a CortexError. */
export function neuronStatusError(
  node: string,
  statusCode: number,
  body: string,
  retryAfterHeader?: string | string[],
): CortexError {
  const cause = new Error(`neuron ${node} answered ${statusCode}: ${quote(body)}`);
  const envelope = parseEnvelope(body);
  if (envelope === undefined) return new CortexError("upstream_error", cause.message, { cause });
  const aboutHop =
    HOP_CODES.has(envelope.code ?? "") ||
    statusCode === 401 ||
    // The one 403 about the request itself: the hub refused the node's pull (its own HF_TOKEN).
    (statusCode === 403 && envelope.code !== "hub_access_denied");
  if (aboutHop) {
    const hint = statusCode === 401 ? " (check gateway.neuron_token / neurons[].token)" : "";
    return new CortexError(
      "upstream_error",
      `neuron ${node} refused the request${hint}: ${envelope.message}`,
      { cause },
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

/**
 * A transport failure talking to neuron `node`: the caller's abort stays an abort, a neuron that cannot
 * be reached is `node_unavailable` (failover may try another node), one that is reached but too slow is
 * `upstream_timeout`. undici's `UND_ERR_*` codes and Node's socket codes are stable, so this switches on
 * them rather than on messages.
 */
export function neuronTransportError(
  node: string,
  error: unknown,
  signal?: { readonly aborted: boolean; readonly reason: unknown },
): CortexError {
  if (error instanceof CortexError) return error;
  if (signal?.aborted) return fromAbortReason(node, signal.reason ?? error);
  const code = errorCode(error);
  switch (code) {
    case "UND_ERR_HEADERS_TIMEOUT":
      return new CortexError("upstream_timeout", `neuron ${node} did not start answering in time`, {
        cause: error,
      });
    case "UND_ERR_BODY_TIMEOUT":
      return new CortexError("upstream_timeout", `neuron ${node} stalled in the middle of a response`, {
        cause: error,
      });
    case "UND_ERR_CONNECT_TIMEOUT":
      return new CortexError("node_unavailable", `cannot connect to neuron ${node}: connect timeout`, {
        cause: error,
      });
    case "ECONNREFUSED":
      return new CortexError("node_unavailable", `neuron ${node} refused the connection`, { cause: error });
    case "UND_ERR_SOCKET":
    case "ECONNRESET":
    case "EPIPE":
      return new CortexError("node_unavailable", `neuron ${node} closed the connection`, { cause: error });
    case "UND_ERR_CLOSED":
    case "UND_ERR_DESTROYED":
      return new CortexError("node_unavailable", `the connection pool to neuron ${node} is closed`, {
        cause: error,
      });
    case "UND_ERR_ABORTED":
      return new CortexError("request_aborted", `request to neuron ${node} aborted`, { cause: error });
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EHOSTUNREACH":
    case "EHOSTDOWN":
    case "ENETUNREACH":
    case "ETIMEDOUT":
    case "ECONNABORTED":
      return new CortexError("node_unavailable", `cannot reach neuron ${node} (${code})`, { cause: error });
    default: {
      if (isNamed(error, "AbortError")) return fromAbortReason(node, error);
      const message = error instanceof Error ? error.message : String(error);
      return new CortexError("upstream_error", `neuron ${node}: ${message}`, { cause: error });
    }
  }
}

/**
 * Validates a neuron's 2xx body against the protocol schema. Both ends are ours, so a mismatch means the
 * two are different versions: say which field, on which node and route, so the operator can tell.
 */
export function parseNeuronResponse<T extends z.ZodType>(
  node: string,
  route: string,
  schema: T,
  text: string,
): z.output<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CortexError("upstream_error", `neuron ${node} answered ${route} with invalid JSON`, {
      cause: error,
    });
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue === undefined ? "body" : formatPath(issue.path);
  throw new CortexError(
    "upstream_error",
    `neuron ${node} answered ${route} with an unexpected shape: ${field}: ${issue?.message ?? "invalid"} ` +
      "(are the gateway and neuron the same version?)",
    { cause: parsed.error },
  );
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

/** `AbortSignal.timeout()` aborts with a TimeoutError: a deadline, not a client going away. */
function fromAbortReason(node: string, reason: unknown): CortexError {
  if (reason instanceof CortexError) return reason;
  if (isNamed(reason, "TimeoutError")) {
    return new CortexError("upstream_timeout", `neuron ${node} did not answer before the deadline`, {
      cause: reason,
    });
  }
  return new CortexError("request_aborted", `request to neuron ${node} aborted`, { cause: reason });
}

/** Happy-eyeballs connects fail with an AggregateError whose inner errors carry the socket code. */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  if (error instanceof AggregateError) return errorCode(error.errors[0]);
  return undefined;
}

function isNamed(error: unknown, name: string): boolean {
  return typeof error === "object" && error !== null && (error as { name?: unknown }).name === name;
}

/** `["models", 0, "state"]` → `models[0].state`. */
function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text === "" ? "body" : text;
}
