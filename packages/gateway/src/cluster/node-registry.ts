import { deepFreeze, type NeuronInfo, type NeuronModel } from "@cortex/core";
import type { NodeError, NodeState, NodeView, TransitionListener } from "./node-view.js";

export interface NodeEntry {
  readonly name: string;
  readonly endpoint: string;
}

/** One successful poll: the node's `/info` and the `models` of its `/models`. */
export interface NodeStatusReport {
  readonly info: NeuronInfo;
  readonly models: readonly NeuronModel[];
}

export interface NodeRegistryOptions {
  readonly neurons: readonly NodeEntry[];
  /** Consecutive failed polls before a node is `down`. */
  readonly downAfter: number;
  /** Called once per state change, after the registry holds the new state. */
  readonly onTransition: TransitionListener;
  readonly now?: () => number;
}

interface NodeRecord {
  view: NodeView;
  /** The revision the node was (re)added at: polls started before it describe another node. */
  readonly addedAt: number;
  /** Lifecycle answers newer than the poll in flight, by model id. */
  readonly notes: Map<string, { revision: number; model: NeuronModel }>;
}

/**
 * The gateway's view of every neuron. The neuron is the source of truth for what it has loaded: each
 * successful poll replaces the node's models with what it reports now, so a node that comes back is
 * re-adopted as it is, and two gateways polling one fleet agree. Only poll results (`record*`),
 * lifecycle answers (`noteModel`) and config reloads (`setNeurons`) change it.
 */
export class NodeRegistry {
  #downAfter: number;
  readonly #onTransition: TransitionListener;
  readonly #now: () => number;
  #nodes = new Map<string, NodeRecord>();
  #revision = 0;
  #snapshot: readonly NodeView[] | undefined;

  constructor(options: NodeRegistryOptions) {
    this.#downAfter = Math.max(1, options.downAfter);
    this.#onTransition = options.onTransition;
    this.#now = options.now ?? Date.now;
    this.setNeurons(options.neurons);
  }

  get downAfter(): number {
    return this.#downAfter;
  }

  /** Config reload: from the next failed poll on. */
  set downAfter(failures: number) {
    this.#downAfter = Math.max(1, failures);
  }

  /**
   * Read it when a poll starts and hand it back with the result: a result older than a lifecycle answer
   * does not undo that answer, and one about a since-replaced node is dropped.
   */
  get revision(): number {
    return this.#revision;
  }

  /** Frozen, in config order; cheap to call per request (rebuilt only after a change). */
  snapshot(): readonly NodeView[] {
    this.#snapshot ??= Object.freeze([...this.#nodes.values()].map((record) => record.view));
    return this.#snapshot;
  }

  get(name: string): NodeView | undefined {
    return this.#nodes.get(name)?.view;
  }

  /** Config reload: keeps the state of nodes whose endpoint is unchanged; new ones start `down`. */
  setNeurons(entries: readonly NodeEntry[]): void {
    const nodes = new Map<string, NodeRecord>();
    for (const entry of entries) {
      const existing = this.#nodes.get(entry.name);
      if (existing !== undefined && existing.view.endpoint === entry.endpoint) {
        nodes.set(entry.name, existing);
        continue;
      }
      nodes.set(entry.name, {
        view: freezeView({
          name: entry.name,
          endpoint: entry.endpoint,
          state: "down",
          info: null,
          models: [],
          offlineModels: [],
          lastSeen: null,
          failures: 0,
          lastError: null,
        }),
        addedAt: ++this.#revision,
        notes: new Map(),
      });
    }
    this.#nodes = nodes;
    this.#snapshot = undefined;
  }

  recordSuccess(name: string, report: NodeStatusReport, revision: number, polledAt?: number): void {
    const record = this.#current(name, revision);
    if (record === undefined) return;
    const before = record.view;
    for (const [id, note] of record.notes) if (note.revision <= revision) record.notes.delete(id);
    const models = [...record.notes.values()].reduce(
      (list, note) => withModel(list, note.model),
      report.models as readonly NeuronModel[],
    );
    this.#update(record, {
      ...before,
      state: "up",
      info: structuredClone(report.info),
      models: structuredClone(models),
      offlineModels: [],
      lastSeen: this.#now(),
      ...(polledAt === undefined ? {} : { polledAt }),
      failures: 0,
      lastError: null,
    });
    if (before.state !== "up") {
      const reason =
        before.lastSeen === null
          ? "answered for the first time"
          : `answering again after ${plural(before.failures, "failed poll")}`;
      this.#onTransition(record.view, before.state, "up", reason);
    }
  }

  recordFailure(name: string, error: NodeError, revision: number): void {
    const record = this.#current(name, revision);
    if (record === undefined) return;
    const before = record.view;
    const failures = before.failures + 1;
    const state = nextStateAfterFailure(before.state, failures, this.#downAfter);
    if (state === "down") record.notes.clear();
    this.#update(record, {
      ...before,
      state,
      models: state === "down" ? [] : before.models,
      offlineModels:
        state === "down" && before.state !== "down"
          ? before.models.map((model) => model.id)
          : before.offlineModels,
      failures,
      lastError: { code: error.code, message: error.message },
    });
    if (state !== before.state) {
      const reason =
        state === "down"
          ? `${plural(failures, "consecutive failed poll")}, last: ${error.message}`
          : `poll failed: ${error.message}`;
      this.#onTransition(record.view, before.state, state, reason);
    }
  }

  /**
   * A load or unload answer carries the model's fresh report: use it now rather than a poll later, so
   * the scheduler does not load the same model twice. Ignored for nodes that are down or gone.
   */
  noteModel(name: string, model: NeuronModel): void {
    const record = this.#nodes.get(name);
    if (record === undefined || record.view.state === "down") return;
    record.notes.set(model.id, { revision: ++this.#revision, model: structuredClone(model) });
    this.#update(record, { ...record.view, models: withModel(record.view.models, structuredClone(model)) });
  }

  #current(name: string, revision: number): NodeRecord | undefined {
    const record = this.#nodes.get(name);
    return record === undefined || record.addedAt > revision ? undefined : record;
  }

  #update(record: NodeRecord, view: NodeView): void {
    record.view = freezeView(view);
    this.#snapshot = undefined;
  }
}

function nextStateAfterFailure(state: NodeState, failures: number, downAfter: number): NodeState {
  if (failures >= downAfter) return "down";
  return state === "up" ? "degraded" : state;
}

function withModel<T extends { readonly id: string }>(models: readonly T[], model: T): readonly T[] {
  const index = models.findIndex((candidate) => candidate.id === model.id);
  if (index === -1) return [...models, model];
  return models.map((candidate, at) => (at === index ? model : candidate));
}

function freezeView(view: NodeView): NodeView {
  return deepFreeze(view) as NodeView;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
