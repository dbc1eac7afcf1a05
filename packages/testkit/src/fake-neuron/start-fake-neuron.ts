import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { NeuronModel } from "@cortex/core";
import type { FakeKnobs } from "./fake-knobs.js";
import type { FakeNeuronOptions, FakeNeuronStats } from "./fake-neuron-options.js";
import { handleFakeNeuronRequest } from "./fake-neuron-routes.js";
import { FakeNode } from "./fake-node.js";

export interface FakeNeuron {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly name: string;
  /** Changes knobs from the next request (or load) on; `null` clears a nullable knob. */
  set(knobs: Partial<FakeKnobs>): void;
  knobs(): Readonly<FakeKnobs>;
  stats(): FakeNeuronStats;
  /** What `GET /models` would list (also while `hangInfo` is on). */
  models(): NeuronModel[];
  model(id: string): NeuronModel | undefined;
  /**
   * Resolves once `predicate` holds, re-checked on every state, counter or knob change, so tests wait
   * on an event rather than a sleep. Rejects after `timeoutMs` with the fake's state in the message.
   */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Stops listening and destroys every open connection, stalled and hung ones included. */
  close(): Promise<void>;
}

/** A loopback neuron with failure knobs (STYLE.md "Fakes, not mocks"). */
export async function startFakeNeuron(options: FakeNeuronOptions): Promise<FakeNeuron> {
  const node = new FakeNode(options);
  const server = createServer((req, res) => void handleFakeNeuronRequest(node, options.token, req, res));
  server.listen(options.port ?? 0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    name: node.name,
    set: (knobs) => node.set(knobs),
    knobs: () => node.knobs,
    stats: () => node.stats(),
    models: () => node.models(),
    model: (id) => node.models().find((model) => model.id === id),
    waitFor: (predicate, timeoutMs) => node.waitFor(predicate, timeoutMs),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        node.close();
      });
      return closing;
    },
  };
}
