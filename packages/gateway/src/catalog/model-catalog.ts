import type { ModelsConfig, NeuronModel } from "@cortex/core";
import type { NodeReport } from "../routing/to-node-snapshot.js";
import type { GatewayRuntime, ResolvedModel } from "../runtime/gateway-runtime.js";

export interface CatalogPlacement {
  node: string;
  state: NeuronModel["state"];
  in_flight: number;
  context_length: number | null;
  /** Epoch ms of the copy's last request (or its load); null when the node does not say. */
  last_used: number | null;
}

/** What the configuration in force says about a model's residency (models.toml over cortex.toml). */
export interface CatalogPolicy {
  /** Milliseconds unused before it is unloaded; 0 = never. */
  readonly idleUnloadMs: number;
  readonly pinned: boolean;
  readonly replicas: { readonly min: number; readonly max: number };
}

export interface CatalogEntry {
  id: string;
  /** Set for alias entries: the model id the alias resolves to. */
  alias_of: string | null;
  architecture: string | null;
  quantization: string | null;
  parameters: number | null;
  context_length: number | null;
  /** "loaded" when loaded anywhere, else the most advanced state across nodes. */
  state: NeuronModel["state"];
  loaded_on: string[];
  nodes: CatalogPlacement[];
  /** Epoch ms of the most recent use on any node; null when none is known. */
  last_used: number | null;
  /** Milliseconds unused before it is unloaded (pinned models never are); 0 = never. */
  idle_unload_ms: number;
  pinned: boolean;
  replicas: { min: number; max: number };
}

const STATE_RANK: Record<NeuronModel["state"], number> = {
  loaded: 5,
  loading: 4,
  converting: 3,
  unloading: 2,
  unloaded: 1,
  failed: 0,
  downloading: -1,
};

/**
 * Pure: every model any available node can serve, merged across nodes, plus the models.toml aliases of
 * those models (wildcard aliases are routing rules, not catalogue entries).
 */
export function buildCatalog(
  reports: readonly NodeReport[],
  models: ModelsConfig,
  policyOf: (id: string) => CatalogPolicy,
): CatalogEntry[] {
  const byId = new Map<string, { model: NeuronModel; nodes: CatalogPlacement[] }>();
  for (const report of reports) {
    if (report.state === "down") continue;
    for (const model of report.models) {
      if (model.state === "failed" && model.error !== null && model.parameters === null) continue;
      // Not servable until its files are in place (the fleet view shows the download).
      if (model.state === "downloading") continue;
      const placement: CatalogPlacement = {
        node: report.name,
        state: model.state,
        in_flight: model.in_flight,
        context_length: model.context_length,
        last_used: model.last_used,
      };
      const entry = byId.get(model.id);
      if (entry) entry.nodes.push(placement);
      else byId.set(model.id, { model, nodes: [placement] });
    }
  }
  const entries: CatalogEntry[] = [];
  for (const [id, { model, nodes }] of [...byId].sort(([a], [b]) => a.localeCompare(b))) {
    const state = nodes.reduce<NeuronModel["state"]>(
      (best, placement) => (STATE_RANK[placement.state] > STATE_RANK[best] ? placement.state : best),
      "failed",
    );
    const loadedOn = nodes
      .filter((placement) => placement.state === "loaded")
      .map((placement) => placement.node);
    const policy = policyOf(id);
    const used = nodes.flatMap((placement) => (placement.last_used === null ? [] : [placement.last_used]));
    const base: CatalogEntry = {
      id,
      alias_of: null,
      architecture: model.architecture,
      quantization: model.quantization,
      parameters: model.parameters,
      context_length: Math.max(0, ...nodes.map((placement) => placement.context_length ?? 0)) || null,
      state,
      loaded_on: loadedOn,
      nodes,
      last_used: used.length > 0 ? Math.max(...used) : null,
      idle_unload_ms: policy.idleUnloadMs,
      pinned: policy.pinned,
      replicas: { ...policy.replicas },
    };
    entries.push(base);
    const profile = models.models.find((candidate) => candidate.id === id);
    for (const alias of profile?.aliases ?? []) {
      if (!alias.endsWith("*")) entries.push({ ...base, id: alias, alias_of: id });
    }
  }
  return entries;
}

/**
 * The models a client can ask for: the fleet's catalogue under the current models.toml, and how a
 * requested name (id, alias, wildcard alias, an unknown claude-* id) resolves to a model id.
 */
export class ModelCatalogue {
  readonly #runtime: () => GatewayRuntime;
  readonly #reports: () => readonly NodeReport[];
  #served: { reports: readonly NodeReport[]; ids: Set<string> } | undefined;

  readonly #pinned: (id: string) => boolean;

  constructor(
    runtime: () => GatewayRuntime,
    reports: () => readonly NodeReport[],
    pinned: (id: string) => boolean,
  ) {
    this.#runtime = runtime;
    this.#reports = reports;
    this.#pinned = pinned;
  }

  entries(): CatalogEntry[] {
    const runtime = this.#runtime();
    return buildCatalog(this.#reports(), runtime.models, (id) => {
      const profile = runtime.profileOf(id);
      return { idleUnloadMs: profile.idleUnloadMs, pinned: this.#pinned(id), replicas: profile.replicas };
    });
  }

  resolve(requested: string): ResolvedModel {
    const runtime = this.#runtime();
    const resolved = runtime.resolve(requested);
    const fallback = runtime.config.gateway.defaultModel;
    // Claude Code asks for claude-* ids (its main and its haiku model); without an alias, serve the default.
    if (
      fallback !== undefined &&
      requested.startsWith("claude-") &&
      resolved.profile === undefined &&
      !this.isServed(resolved.id)
    ) {
      return { ...runtime.resolve(fallback), requested };
    }
    return resolved;
  }

  /** Whether any node offers `id` (the registry's view; cached until a node changes). */
  isServed(id: string): boolean {
    const reports = this.#reports();
    // The registry's snapshot is replaced only when a node changes: rebuild the id set only then.
    if (this.#served?.reports !== reports) {
      this.#served = {
        reports,
        ids: new Set(reports.flatMap((node) => node.models.map((model) => model.id))),
      };
    }
    return this.#served.ids.has(id);
  }
}
