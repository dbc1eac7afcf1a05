import { parseFakeNeuronArgs, FAKE_NEURON_USAGE } from "./parse-fake-neuron-args.js";
import { startFakeNeuron } from "./fake-neuron.js";

/**
 * A fake neuron in a process of its own, for tests that need to `kill -9` a node or reach it from
 * another process (knobs then go through `POST /__fake/knobs`).
 */
const argv = process.argv.slice(2);
if (argv.includes("--help")) {
  console.log(FAKE_NEURON_USAGE);
  process.exit(0);
}

let options;
try {
  options = parseFakeNeuronArgs(argv, process.env);
} catch (error) {
  console.error(
    `fake-neuron: ${error instanceof Error ? error.message : String(error)}\n${FAKE_NEURON_USAGE}`,
  );
  process.exit(2);
}

const fake = await startFakeNeuron(options);
console.log(`fake neuron listening on ${fake.url}`);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void fake.close().then(() => process.exit(0));
  });
}
