export { synthModel, type SynthResult } from "./synth-model.js";
export {
  resolveSynthOptions,
  SynthOptionsError,
  DEFAULT_CONTEXT_LENGTH,
  DEFAULT_SEED,
  SYNTH_FORMAT_VERSION,
  SYNTH_ARCHS,
  SYNTH_DTYPES,
  SYNTH_FORMATS,
  SYNTH_QUANTS,
  SYNTH_SIZES,
  type SynthDtype,
  type SynthFormat,
  type SynthOptions,
} from "./synth-options.js";
export type { SynthArch, SynthSize } from "./model/model-shape.js";
export type { SynthQuant } from "./model/gguf-metadata.js";
