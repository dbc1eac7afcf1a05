import { CortexError, formatBytes, type NeuronInfo } from "@cortex/core";

export type MemorySource = NeuronInfo["memory"]["source"];

export interface DeviceMemory {
  total: number;
  free: number;
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

  snapshot(): NeuronInfo["memory"] {
    const total = this.#limit ?? this.#device.total;
    const used = this.used;
    // The device's own free figure already excludes what loaded models use; budget-based free does not.
    const free =
      this.#limit === undefined
        ? Math.min(total - used, this.#device.free) - this.#headroom
        : total - used - this.#headroom;
    return { total, used, free: Math.max(0, free), headroom: this.#headroom, source: this.#source };
  }

  reserve(owner: string, bytes: number): void {
    if (this.#reserved.has(owner)) return;
    this.assertFits(owner, bytes);
    this.#reserved.set(owner, bytes);
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
