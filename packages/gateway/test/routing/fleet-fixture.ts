import type {
  FleetSnapshot,
  ModelOnNode,
  NodeSnapshot,
  PlacementRequest,
} from "../../src/routing/fleet-snapshot.js";
import type { PlacementPlan } from "../../src/routing/placement.js";

export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;
export const NOW = 1_700_000_000_000;

export const minutesAgo = (minutes: number): number => NOW - minutes * 60_000;

/** A model on a node; by default loaded, idle, 1 GiB, used an hour ago. */
export function model(id: string, overrides: Partial<ModelOnNode> = {}): ModelOnNode {
  return {
    id,
    state: "loaded",
    memoryEstimate: 1 * GiB,
    lastUsed: minutesAgo(60),
    inFlight: 0,
    queued: 0,
    waiting: 0,
    surplus: false,
    pinned: false,
    priority: 0,
    allowed: true,
    slots: null,
    prefixes: null,
    prefillMsPerToken: null,
    ...overrides,
  };
}

/** A model the node could load but has not. */
export function offered(id: string, memoryEstimate: number | null = 1 * GiB): ModelOnNode {
  return model(id, { state: "unloaded", memoryEstimate, lastUsed: null });
}

export function node(
  name: string,
  free: number,
  models: readonly ModelOnNode[],
  overrides: Partial<Omit<NodeSnapshot, "memory">> & { headroom?: number } = {},
): NodeSnapshot {
  const { headroom = 0, ...rest } = overrides;
  const total = 24 * GiB;
  return { name, state: "up", memory: { total, used: total - free, free, headroom }, models, ...rest };
}

export function fleet(...nodes: NodeSnapshot[]): FleetSnapshot {
  return { at: NOW, nodes };
}

export function request(
  modelId: string,
  requiredMemory: number | undefined,
  overrides: Partial<PlacementRequest> = {},
): PlacementRequest {
  return {
    modelId,
    ...(requiredMemory === undefined ? {} : { requiredMemory }),
    extraHeadroom: 0,
    ...overrides,
  };
}

/** A plan as one short line, so tables read like the decisions they expect: "load b -x -y". */
export function summarize(plan: PlacementPlan): string {
  switch (plan.kind) {
    case "load":
      return [`load ${plan.node}`, ...plan.evict.map((e) => `-${e.modelId}`)].join(" ");
    case "wait":
      return `wait ${plan.node}`;
    case "no_fit":
      return "no_fit";
    default: {
      const never: never = plan;
      return never;
    }
  }
}
