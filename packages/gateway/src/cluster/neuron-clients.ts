import { NeuronClient, type NeuronTimeouts } from "./neuron-client.js";

export interface NeuronClientEntry {
  readonly name: string;
  readonly endpoint: string;
  /** Overrides the default token for this neuron. */
  readonly token?: string | undefined;
}

export interface NeuronClientsOptions {
  readonly timeouts: NeuronTimeouts;
  /** `gateway.neuronToken`: used for every neuron without its own. */
  readonly defaultToken?: string | undefined;
  readonly connections?: number;
}

/**
 * One NeuronClient per configured neuron, shared by the poller and the proxy so each neuron has exactly
 * one pool. A config reload keeps the clients whose endpoint and token did not change.
 */
export class NeuronClients {
  readonly #options: NeuronClientsOptions;
  readonly #clients = new Map<string, { client: NeuronClient; key: string }>();

  constructor(entries: readonly NeuronClientEntry[], options: NeuronClientsOptions) {
    this.#options = options;
    this.setNeurons(entries);
  }

  get(name: string): NeuronClient | undefined {
    return this.#clients.get(name)?.client;
  }

  /** Replaced and removed clients drain: requests already streaming through them finish. */
  setNeurons(entries: readonly NeuronClientEntry[]): void {
    const wanted = new Map(entries.map((entry) => [entry.name, entry]));
    for (const [name, current] of this.#clients) {
      const entry = wanted.get(name);
      if (entry === undefined || this.#key(entry) !== current.key) {
        this.#clients.delete(name);
        // Closing is best effort: a pool that fails to close has nothing left worth reporting.
        current.client.drain().catch(() => undefined);
      }
    }
    for (const entry of entries) {
      if (this.#clients.has(entry.name)) continue;
      const token = entry.token ?? this.#options.defaultToken;
      const client = new NeuronClient({
        name: entry.name,
        endpoint: entry.endpoint,
        token,
        timeouts: this.#options.timeouts,
        connections: this.#options.connections,
      });
      this.#clients.set(entry.name, { client, key: this.#key(entry) });
    }
  }

  async close(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(clients.map(({ client }) => client.close()));
  }

  #key(entry: NeuronClientEntry): string {
    return JSON.stringify([entry.endpoint, entry.token ?? this.#options.defaultToken ?? null]);
  }
}
