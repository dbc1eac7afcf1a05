import type { Fleet, FleetModel, FleetNode } from "../src/gateway-types.js";

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

export function fleetModel(id: string, overrides: Partial<FleetModel> = {}): FleetModel {
  return {
    id,
    state: "loaded",
    progress: null,
    in_flight: 0,
    queued: 0,
    memory_estimate: GiB,
    last_used: null,
    context_length: 4096,
    pinned: false,
    ...overrides,
  };
}

/** A two-GPU CUDA node with 24 GiB cards. */
export function gpuNode(overrides: Partial<FleetNode> = {}): FleetNode {
  return {
    name: "gpu-a",
    endpoint: "http://10.0.0.2:13131",
    state: "up",
    last_seen: 0,
    error: null,
    backend: "cuda",
    gpus: [
      { index: 0, name: "RTX 4090", vram_total: 24 * GiB, vram_free: 12 * GiB },
      { index: 1, name: "RTX 4090", vram_total: 24 * GiB, vram_free: 22.5 * GiB },
    ],
    memory: { total: 48 * GiB, used: 10 * GiB, free: 38 * GiB, headroom: GiB, source: "vram" },
    ram_total: 64 * GiB,
    ram_free: 32 * GiB,
    models: [],
    ...overrides,
  };
}

/** A CPU node whose models live in a configured budget. */
export function cpuNode(overrides: Partial<FleetNode> = {}): FleetNode {
  return {
    name: "cpu-b",
    endpoint: "http://10.0.0.3:13131",
    state: "up",
    last_seen: 0,
    error: null,
    backend: "cpu",
    gpus: [],
    memory: { total: 16 * GiB, used: 1.5 * GiB, free: 14.5 * GiB, headroom: 0, source: "budget" },
    ram_total: 32 * GiB,
    ram_free: 20 * GiB,
    models: [],
    ...overrides,
  };
}

/** A node that never answered: no hardware known, no models. */
export function downNode(overrides: Partial<FleetNode> = {}): FleetNode {
  return {
    name: "gone",
    endpoint: "http://10.0.0.4:13131",
    state: "down",
    last_seen: null,
    error: "neuron gone refused the connection",
    backend: null,
    gpus: [],
    memory: null,
    ram_total: null,
    ram_free: null,
    models: [],
    ...overrides,
  };
}

export function fleetOf(...nodes: FleetNode[]): Fleet {
  return { nodes, eviction_cycles: 0, decisions: [] };
}
