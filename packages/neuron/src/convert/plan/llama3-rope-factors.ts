/**
 * Llama 3.1+ "llama3" RoPE scaling is not a GGUF key but a `rope_freqs.weight` tensor of per-frequency
 * divisors, computed exactly as convert_hf_to_gguf.py's LlamaModel.generate_extra_tensors does
 * (float32 frequencies, then the smooth interpolation between the two wavelength bounds).
 */
export function llama3RopeFactors(options: {
  headDim: number;
  ropeTheta: number;
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalContext: number;
}): Float32Array {
  const { headDim, ropeTheta, factor, lowFreqFactor, highFreqFactor, originalContext } = options;
  const lowFreqWavelength = originalContext / lowFreqFactor;
  const highFreqWavelength = originalContext / highFreqFactor;
  const factors = new Float32Array(headDim / 2);
  for (let index = 0; index < factors.length; index++) {
    const frequency = Math.fround(1 / Math.fround(ropeTheta ** Math.fround((2 * index) / headDim)));
    const wavelength = (2 * Math.PI) / frequency;
    if (wavelength < highFreqWavelength) factors[index] = 1;
    else if (wavelength > lowFreqWavelength) factors[index] = factor;
    else {
      const smooth = (originalContext / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
      factors[index] = 1 / ((1 - smooth) / factor + smooth);
    }
  }
  return factors;
}
