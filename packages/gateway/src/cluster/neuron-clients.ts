import { NeuronClient, type NeuronTimeouts } from "./neuron-client.js";

export interface NeuronClientEntry {
  readonly name: string;
  readonly endpoint: string;
  /** Overrides the default token for this neuron. */
  readonly token?: string | undefined;
}

/** How every client is built; part of each client's identity, so a change rebuilds the pools. */
export interface NeuronClientSettings {
  readonly timeouts: NeuronTimeouts;
  /** `gateway.neuronToken`: used for every neuron without its own. */
  readonly defaultToken?: string | undefined;
  readonly connections?: number;
}

/**
 * One NeuronClient per configured neuron, shared by the poller and the proxy so each neuron has exactly
 * one pool. A config reload keeps the clients whose endpoint, token and timeouts did not change; the
 * others are replaced, and drain: requests already streaming through them finish.
 */
export class NeuronClients {
  readonly #clients = new Map<string, { client: NeuronClient; key: string }>();

  constructor(entries: readonly NeuronClientEntry[], settings: NeuronClientSettings) {
    this.configure(entries, settings);
  }

  get(name: string): NeuronClient | undefined {
    return this.#clients.get(name)?.client;
  }

  configure(entries: readonly NeuronClientEntry[], settings: NeuronClientSettings): void {
    const wanted = new Map(entries.map((entry) => [entry.name, keyOf(entry, settings)]));
    for (const [name, current] of this.#clients) {
      if (wanted.get(name) !== current.key) {
        this.#clients.delete(name);
        // Closing is best effort: a pool that fails to close has nothing left worth reporting.
        current.client.drain().catch(() => undefined);
      }
    }
    for (const entry of entries) {
      if (this.#clients.has(entry.name)) continue;
      const client = new NeuronClient({
        name: entry.name,
        endpoint: entry.endpoint,
        token: entry.token ?? settings.defaultToken,
        timeouts: settings.timeouts,
        connections: settings.connections,
      });
      this.#clients.set(entry.name, { client, key: keyOf(entry, settings) });
    }
  }

  async close(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(clients.map(({ client }) => client.close()));
  }
}

function keyOf(entry: NeuronClientEntry, settings: NeuronClientSettings): string {
  return JSON.stringify([
    entry.endpoint,
    entry.token ?? settings.defaultToken ?? null,
    settings.timeouts,
    settings.connections ?? null,
  ]);
}
