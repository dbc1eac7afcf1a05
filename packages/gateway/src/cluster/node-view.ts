import type { DeepReadonly, ErrorCode, NeuronInfo, NeuronModel } from "@cortex/core";

/** `degraded`: recent polls failed but not yet `downAfter` in a row, so its last report still stands. */
export type NodeState = "up" | "degraded" | "down";

export interface NodeError {
  readonly code: ErrorCode;
  readonly message: string;
}

/** The gateway's frozen view of one neuron, as of its last poll. */
export interface NodeView {
  readonly name: string;
  readonly endpoint: string;
  readonly state: NodeState;
  /** The last `/info` answer; kept while down so the dashboard can still show the hardware. */
  readonly info: DeepReadonly<NeuronInfo> | null;
  /** What the node reports it can serve and has loaded; empty while down. */
  readonly models: readonly DeepReadonly<NeuronModel>[];
  /**
   * While down: the ids it offered when it was last up. A request for a model only a down node serves
   * is "try again later" (503), not "no such model" (404).
   */
  readonly offlineModels: readonly string[];
  /** Epoch ms of the last successful poll; null until the node first answers. */
  readonly lastSeen: number | null;
  /**
   * When that poll was sent: the node's counts were taken between this and `lastSeen` (a slow answer
   * can arrive well after a request it counted has ended).
   */
  readonly polledAt?: number;
  /** Consecutive failed polls. */
  readonly failures: number;
  readonly lastError: NodeError | null;
}

export type TransitionListener = (node: NodeView, from: NodeState, to: NodeState, reason: string) => void;
