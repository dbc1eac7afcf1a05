import { CortexError } from "@cortex/core";

/**
 * Turns a transport failure talking to neuron `node` into our vocabulary: the caller's abort stays an
 * abort, a neuron that cannot be reached is `node_unavailable` (failover may try another node), one that
 * is reached but too slow is `upstream_timeout`. undici's `UND_ERR_*` codes and Node's socket codes are
 * stable, so this switches on them rather than on messages.
 */
export function toNeuronError(
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
