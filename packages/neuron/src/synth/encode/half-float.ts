/** IEEE binary32 → binary16 / bfloat16 bit patterns, round-to-nearest-even like numpy and ggml. */

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

export function float32Bits(value: number): number {
  scratchF32[0] = value;
  return scratchU32[0] ?? 0;
}

export function toFloat16Bits(value: number): number {
  return float16FromFloat32Bits(float32Bits(value));
}

export function toBfloat16Bits(value: number): number {
  return bfloat16FromFloat32Bits(float32Bits(value));
}

/** Takes raw binary32 bits, so bulk encoders can read a whole row through one Uint32Array view. */
export function float16FromFloat32Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half: the value is mantissa * 2^-24, so shift the 24-bit significand into place.
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    return sign | roundShift(mantissa, 14 - halfExponent);
  }
  // A carry out of the mantissa bumps the exponent, which is exactly the right rounding (up to infinity).
  return sign | ((halfExponent << 10) + roundShift(mantissa, 13));
}

export function bfloat16FromFloat32Bits(x: number): number {
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const remainder = value & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  return remainder > halfway || (remainder === halfway && (kept & 1) === 1) ? kept + 1 : kept;
}
