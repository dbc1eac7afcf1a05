import { CortexError, formatBytes, type NeuronInfo } from "@cortex/core";

export type MemorySource = NeuronInfo["memory"]["source"];

export interface DeviceMemory {
  total: number;
  free: number;
}

/** A RAM user that shares the budget with models but gives memory back on demand (the KV state tier). */
export interface ElasticUser {
  readonly bytes: number;
  /** Frees at least `bytes` at once if it can; returns what it freed. */
  reclaim(bytes: number): number;
}

/**
 * What models may use on this node and what they hold. Loads reserve their estimate up front (before
 * the first byte is read) and release it in `finally`, so two concurrent loads cannot both "fit".
 */
export class MemoryBudget {
  readonly #source: MemorySource;
  readonly #limit: number | undefined;
  readonly #headroom: number;
  readonly #reserved = new Map<string, number>();
  #device: DeviceMemory;
  #elastic: ElasticUser | undefined;

  constructor(options: { source: MemorySource; limit?: number; headroom: number; device: DeviceMemory }) {
    this.#source = options.source;
    this.#limit = options.limit;
    this.#headroom = options.headroom;
    this.#device = options.device;
  }

  /** Fresh device numbers (VRAM or RAM) from discovery; ignored when a fixed budget is configured. */
  updateDevice(device: DeviceMemory): void {
    this.#device = device;
  }

  get used(): number {
    let used = 0;
    for (const bytes of this.#reserved.values()) used += bytes;
    return used;
  }

  /**
   * Lets `user` hold RAM inside this budget. It is not in `used` and counts as `free` (a load takes it
   * back, see `reserve`); `snapshot().kv_cache` shows it. Only for budgets of RAM: VRAM is another memory.
   */
  attachElastic(user: ElasticUser): void {
    this.#elastic = user;
  }

  snapshot(): NeuronInfo["memory"] {
    const total = this.#limit ?? this.#device.total;
    const used = this.used;
    const elastic = this.#elastic?.bytes ?? 0;
    return {
      total,
      used,
      free: Math.max(0, this.#free(total, used, elastic, true)),
      headroom: this.#headroom,
      source: this.#source,
      ...(this.#elastic ? { kv_cache: elastic } : {}),
    };
  }

  reserve(owner: string, bytes: number): void {
    if (this.#reserved.has(owner)) return;
    this.assertFits(owner, bytes);
    const elastic = this.#elastic;
    if (elastic) {
      const total = this.#limit ?? this.#device.total;
      const freeNow = this.#free(total, this.used, elastic.bytes, false);
      if (bytes > freeNow) elastic.reclaim(bytes - freeNow);
    }
    this.#reserved.set(owner, bytes);
  }

  /** Free for models if the elastic user gave all it holds back (`reclaimed`), or nothing. */
  #free(total: number, used: number, elastic: number, reclaimed: boolean): number {
    const held = reclaimed ? 0 : elastic;
    // The device's own free figure already excludes what loaded models and the elastic user hold;
    // budget-based free does not.
    return this.#limit === undefined
      ? Math.min(total - used - held, this.#device.free + elastic - held) - this.#headroom
      : total - used - held - this.#headroom;
  }

  /** Throws `insufficient_memory` when `bytes` exceed what is free now; reserves nothing. */
  assertFits(owner: string, bytes: number): void {
    const { free } = this.snapshot();
    if (bytes > free) {
      throw new CortexError(
        "insufficient_memory",
        `insufficient memory to load ${owner}: needs ${formatBytes(bytes)}, ${formatBytes(free)} free ` +
          `(${this.#source}${this.#headroom > 0 ? `, ${formatBytes(this.#headroom)} headroom kept` : ""})`,
        { retryAfter: 5 },
      );
    }
  }

  release(owner: string): void {
    this.#reserved.delete(owner);
  }
}
