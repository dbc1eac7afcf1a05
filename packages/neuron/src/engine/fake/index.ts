/** `@cortex/neuron/fake`: the fault-injection engine, for tests and the testkit's fake neuron. */
export { FakeEngine, type FakeEngineOptions, type FakeEngineStats } from "./fake-engine.js";
export { FakeModel } from "./fake-model.js";
export {
  FakeModelKnobsSchema,
  readFakeModelFile,
  writeFakeModelFile,
  parseFakeNodeKnobs,
  type FakeNodeKnobs,
  type FakeModelKnobs,
  type FakeModelKnobsInput,
} from "./fake-model-knobs.js";
export { abortableDelay, untilAborted } from "./abortable-delay.js";
