import type { FakeKnobs } from "./fake-knobs.js";

export interface FakeModelSpec {
  id: string;
  /** Bytes a load takes; reported as `memory_estimate` and counted against `memoryTotal`. */
  memory: number;
  /** Reported as `context_length`; 4096 when absent. */
  contextLength?: number;
  /** Starts loaded (counts as used memory, not as a load in `stats().loads`). */
  loaded?: boolean;
}

export interface FakeNeuronOptions {
  name: string;
  /** Bytes models may use on this node (`memory.total`, source "budget"). */
  memoryTotal: number;
  models: readonly FakeModelSpec[];
  /** When set, every route but `/health` and `/__fake/*` needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Loopback port; 0 (the default) picks a free one. A fixed port lets a test restart a "node". */
  port?: number;
  /** Knobs in force from the first request. */
  knobs?: Partial<FakeKnobs>;
}

export interface FakeNeuronStats {
  /** Load executions begun, per model: concurrent callers of one load count once; a refusal for lack of memory is not a load. */
  loads: Record<string, number>;
  /** `POST /models/load` requests received, per model: tells a gateway that coalesces loads from one that does not. */
  loadRequests: Record<string, number>;
  /** Loads that ended in `failLoad` or `oomOnLoad`. */
  failedLoads: Record<string, number>;
  unloads: Record<string, number>;
  /** `POST /v1/chat/completions` requests received, refused ones included. */
  requests: number;
  /** Chat requests whose client went away before the response was finished. */
  aborted: number;
  inFlight: Record<string, number>;
}
