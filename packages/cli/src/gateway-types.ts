/** What the gateway's admin API and `/v1/models` answer, as far as the CLI reads them. */

export type ModelState =
  "unloaded" | "loading" | "loaded" | "unloading" | "failed" | "converting" | "downloading";

/** A model being pulled from Hugging Face (and one whose pull failed). */
export interface FleetDownload {
  repo: string;
  revision: string;
  bytes_done: number;
  bytes_total: number;
}

export interface FleetGpu {
  index: number;
  name: string;
  vram_total: number;
  vram_free: number;
}

export interface FleetMemory {
  total: number;
  used: number;
  free: number;
  headroom: number;
  source: "vram" | "ram" | "budget";
}

export interface FleetModel {
  id: string;
  state: ModelState;
  /** 0..1 while loading or converting. */
  progress: number | null;
  in_flight: number;
  queued: number;
  memory_estimate: number | null;
  last_used: number | null;
  context_length: number | null;
  pinned: boolean;
  /** Unloaded after this long unused; 0 = never (absent from older gateways). */
  idle_unload_ms?: number;
  /** Only for pulls: what is downloading, and (when it failed) why. */
  download?: FleetDownload;
  error?: string | null;
}

export interface FleetNode {
  name: string;
  endpoint: string;
  state: "up" | "degraded" | "down";
  last_seen: number | null;
  error: string | null;
  backend: string | null;
  gpus: FleetGpu[];
  memory: FleetMemory | null;
  ram_total: number | null;
  ram_free: number | null;
  models: FleetModel[];
}

export interface Decision {
  /** Epoch ms. */
  at: number;
  kind: string;
  model: string;
  node: string | null;
  requestId: string | null;
  message: string;
}

export interface Fleet {
  nodes: FleetNode[];
  eviction_cycles: number;
  decisions: Decision[];
}

export interface CatalogModel {
  id: string;
  alias_of: string | null;
  architecture: string | null;
  quantization: string | null;
  context_length: number | null;
  state: ModelState;
  loaded_on: string[];
  nodes: { node: string; state: ModelState; in_flight: number; context_length: number | null }[];
}

export interface LoadResult {
  model: string;
  loaded_on: string[];
}

export interface UnloadResult {
  model: string;
  unloaded_from: string[];
}

export interface PullResult {
  node: string;
  model: {
    id: string;
    state: ModelState;
    quantization: string | null;
    file_size: number;
    download?: FleetDownload;
  };
}

export interface DeleteResult {
  node: string;
  model: string;
  deleted: true;
}

export interface PinResult {
  model: string;
  pinned: boolean;
}
