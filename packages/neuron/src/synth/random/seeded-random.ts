/**
 * Deterministic randomness for the synthetic weights. Everything is 32-bit integer arithmetic and
 * exactly rounded division, so the same seed gives the same bits on every machine.
 */

/** splitmix32: turns any 32-bit value into a well-mixed one; used to seed and to hash. */
export function mix32(value: number): number {
  let z = (value + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over UTF-16 code units, then mixed: a stable 32-bit id for a tensor name. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return mix32(h);
}

/** Combines seed parts into one 32-bit seed (order matters). */
export function combineSeeds(...parts: number[]): number {
  let h = 0x2545f491;
  for (const part of parts) h = mix32(h ^ mix32(part >>> 0));
  return h;
}

/** xoshiro128**: small, fast, good enough for weights, and cheap to re-seed per tensor row. */
export class SeededRandom {
  // Plain fields holding int32 values: V8 keeps them unboxed, #private ones were 4x slower here.
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed: number) {
    this.reseed(seed);
  }

  reseed(seed: number): void {
    this.s0 = mix32(seed) | 0;
    this.s1 = mix32(this.s0 ^ 0x6a09e667) | 0;
    this.s2 = mix32(this.s1 ^ 0xbb67ae85) | 0;
    this.s3 = mix32(this.s2 ^ 0x3c6ef372) | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /**
   * Approximately standard normal: the Irwin-Hall sum of four 16-bit uniforms, centred and scaled to
   * unit variance. Tails stop at ±3.46σ, which random weights do not miss, and it is about eight
   * times faster than Box-Muller, which matters for the 100M-value models.
   */
  nextGaussian(): number {
    const a = this.nextUint32();
    const b = this.nextUint32();
    const sum = (a & 0xffff) + (a >>> 16) + (b & 0xffff) + (b >>> 16);
    return (sum / 65536 - 2 + 2 / 65536) * SQRT3;
  }
}

const SQRT3 = Math.sqrt(3);

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
