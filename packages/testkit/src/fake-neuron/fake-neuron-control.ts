import type { FakeKnobs } from "./fake-knobs.js";
import type { FakeNeuronStats } from "./fake-neuron-options.js";

/** Knobs of a fake neuron in any process, through `POST /__fake/knobs`; returns the knobs now in force. */
export async function setFakeKnobs(url: string, knobs: Partial<FakeKnobs>): Promise<FakeKnobs> {
  const response = await fetch(`${url}/__fake/knobs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(knobs),
  });
  if (!response.ok)
    throw new Error(`setting fake neuron knobs failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as FakeKnobs;
}

/** Counters of a fake neuron in any process, through `GET /__fake/stats`. */
export async function getFakeStats(url: string): Promise<FakeNeuronStats> {
  const response = await fetch(`${url}/__fake/stats`);
  if (!response.ok)
    throw new Error(`reading fake neuron stats failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as FakeNeuronStats;
}
