import { mkdtemp, rm } from "node:fs/promises";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseNeuronConfig, type NeuronModel } from "@cortex/core";
import { startNeuron, type NeuronRoute } from "@cortex/neuron";
import { FakeEngine, parseFakeNodeKnobs, writeFakeModelFile, type FakeNodeKnobs } from "@cortex/neuron/fake";
import { pino } from "pino";

/**
 * The fake neuron is the real neuron (`startNeuron`: its HTTP API, model slots, memory budget, sequence
 * pool and SSE) driven by the FakeEngine, whose knobs inject the faults: slow, held or failing loads,
 * stalls, dropped connections, 503s. Nothing here reimplements the neuron; it only wires the engine,
 * writes the model files and counts what tests assert on.
 */

export type FakeKnobs = FakeNodeKnobs;

export interface FakeModelSpec {
  id: string;
  /** Bytes a load takes; reported as `memory_estimate` and counted against `memoryTotal`. */
  memory: number;
  /** The context a load uses, reported as `context_length`; 4096 when absent. */
  contextLength?: number;
  /** Starts loaded (counts as used memory, not as a load in `stats().loads`). */
  loaded?: boolean;
}

export interface FakeNeuronOptions {
  name: string;
  /** Bytes models may use on this node (its `memory_budget`). */
  memoryTotal: number;
  models: readonly FakeModelSpec[];
  /** The neuron's `auth_token`: every route but `/health` and `/__fake/*` needs it. */
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
  /** Generations asked for, refused ones included. */
  requests: number;
  /** Generations aborted before they finished (the client left, or a forced unload); drops are not. */
  aborted: number;
  inFlight: Record<string, number>;
}

export interface FakeNeuron {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly name: string;
  /** Changes knobs from the next request (or load) on; `null` clears a nullable knob. */
  set(knobs: Partial<FakeKnobs>): void;
  knobs(): Readonly<FakeKnobs>;
  stats(): FakeNeuronStats;
  /** What `GET /models` lists. */
  models(): NeuronModel[];
  model(id: string): NeuronModel | undefined;
  /**
   * Resolves once `predicate` holds (re-checked on every knob, counter or state change). Rejects after
   * `timeoutMs` with the fake's state in the message.
   */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Stops listening and destroys every open connection, stalled ones included. */
  close(): Promise<void>;
}

const DEFAULT_CONTEXT_LENGTH = 4096;
/** How often `waitFor` re-checks state that changes without an event (model states in the slots). */
const RECHECK_MS = 5;

export async function startFakeNeuron(options: FakeNeuronOptions): Promise<FakeNeuron> {
  const dir = await mkdtemp(join(tmpdir(), "cortex-fake-neuron-"));
  for (const spec of options.models) {
    await writeFakeModelFile(join(dir, `${spec.id}.gguf`), {
      memory: spec.memory,
      contextSize: spec.contextLength ?? DEFAULT_CONTEXT_LENGTH,
      quantization: "Q8_0",
    });
  }
  const checks = new Set<() => void>();
  const changed = (): void => {
    for (const check of [...checks]) check();
  };
  /** Connections with a generation in flight: what the `dropAfterTokens` knob drops. */
  const generating = new Set<Socket>();
  const engine = new FakeEngine({
    deviceMemory: { total: options.memoryTotal, free: options.memoryTotal },
    dropConnection: () => {
      for (const socket of generating) drop(socket);
    },
    onChange: changed,
  });
  const loadRequests: Record<string, number> = {};
  const neuron = await startNeuron({
    config: neuronConfig(options, dir),
    logger: pino({ level: "silent" }),
    engine,
    onLifecycleRequest: (action, model) => {
      if (action !== "load") return;
      loadRequests[model] = (loadRequests[model] ?? 0) + 1;
      changed();
    },
    extraRoutes: controlRoutes(engine, () => stats()),
    shutdownGraceMs: 0,
  });
  neuron.server.on("request", (req, res) => {
    if (req.method !== "POST" || !/^\/v1\/(chat\/)?completions/.test(req.url ?? "")) return;
    const socket = req.socket;
    generating.add(socket);
    res.on("close", () => generating.delete(socket));
  });
  const preload = new AbortController();
  for (const spec of options.models) {
    if (spec.loaded === true) await neuron.manager.load(spec.id, {}, preload.signal);
  }
  // After the preloads: `holdLoads` or `failLoad` are for the loads a test causes.
  if (options.knobs) engine.set(options.knobs);
  // Loads done to set the node up are not loads a test caused.
  const baseline = engine.stats().loads;
  const ids = options.models.map((spec) => spec.id);
  const perModel = (counts: Readonly<Record<string, number>>, minus: Record<string, number> = {}) =>
    Object.fromEntries(ids.map((id) => [id, (counts[id] ?? 0) - (minus[id] ?? 0)]));
  const stats = (): FakeNeuronStats => {
    const engineStats = engine.stats();
    const models = neuron.manager.list();
    return {
      loads: perModel(engineStats.loads, baseline),
      loadRequests: perModel(loadRequests),
      failedLoads: perModel(engineStats.failedLoads),
      unloads: perModel(engineStats.unloads),
      requests: engineStats.requests,
      aborted: engineStats.aborted,
      inFlight: perModel(Object.fromEntries(models.map((model) => [model.id, model.in_flight]))),
    };
  };
  let closing: Promise<void> | undefined;
  return {
    url: neuron.url,
    name: options.name,
    set: (knobs) => engine.set(knobs),
    knobs: () => engine.knobs,
    stats,
    models: () => neuron.manager.list(),
    model: (id) => neuron.manager.list().find((model) => model.id === id),
    waitFor: (predicate, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const stop = (): void => {
          clearTimeout(timer);
          clearInterval(poll);
          checks.delete(check);
        };
        const check = (): void => {
          try {
            if (!predicate()) return;
            stop();
            resolve();
          } catch (error) {
            stop();
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        };
        const timer = setTimeout(() => {
          stop();
          const state = JSON.stringify({
            stats: stats(),
            models: neuron.manager.list().map((m) => [m.id, m.state]),
          });
          reject(
            new Error(`fake neuron ${options.name}: condition not met within ${timeoutMs} ms; ${state}`),
          );
        }, timeoutMs);
        const poll = setInterval(check, RECHECK_MS);
        checks.add(check);
        check();
      }),
    close: () => {
      closing ??= (async () => {
        // Held loads and stalled generations end with the connections that wait for them.
        engine.set({ holdLoads: false });
        neuron.server.closeAllConnections();
        await neuron.close();
        await rm(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

function neuronConfig(options: FakeNeuronOptions, dir: string) {
  const lines = [
    `name = "${options.name}"`,
    `listen = "127.0.0.1:${options.port ?? 0}"`,
    `models_dir = "${dir}"`,
    `memory_budget = ${options.memoryTotal}`,
    `context_size = ${DEFAULT_CONTEXT_LENGTH}`,
    // Enough sequences that a test's concurrent requests never queue on the node unless it means to.
    `parallel = 16`,
    ...(options.token === undefined ? [] : [`auth_token = "${options.token}"`]),
    ...options.models
      .filter((spec) => spec.contextLength !== undefined)
      .map((spec) => `[models."${spec.id}"]\ncontext_size = ${spec.contextLength}`),
  ];
  return parseNeuronConfig(lines.join("\n"), `<fake neuron ${options.name}>`, dir);
}

/** `/__fake/knobs` and `/__fake/stats`, for tests that drive a fake in another process. */
function controlRoutes(engine: FakeEngine, stats: () => FakeNeuronStats): NeuronRoute[] {
  return [
    { method: "GET", url: "/__fake/knobs", public: true, handler: () => engine.knobs },
    {
      method: "POST",
      url: "/__fake/knobs",
      public: true,
      handler: (_ctx, request) => {
        engine.set(parseFakeNodeKnobs(request.body));
        return engine.knobs;
      },
    },
    { method: "GET", url: "/__fake/stats", public: true, handler: () => stats() },
  ];
}

/** What was written reaches the client first, or a drop after n tokens would look like one at 0. */
function drop(socket: Socket): void {
  if (socket.writableLength === 0) socket.destroy();
  else socket.write("", () => socket.destroy());
}
