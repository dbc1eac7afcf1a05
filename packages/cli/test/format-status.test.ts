import { describe, expect, it } from "vitest";
import {
  formatGpus,
  formatIdle,
  formatMemory,
  formatModelState,
  formatStatus,
} from "../src/format/format-status.js";
import { cpuNode, downNode, fleetModel, fleetOf, gpuNode, GiB } from "./fleet-fixtures.js";

const PIPED = { tty: false, color: false };
const TTY = { tty: true, color: false };

describe("formatStatus", () => {
  const fleet = fleetOf(
    gpuNode({
      models: [
        fleetModel("qwen3-32b", { in_flight: 2, queued: 3, pinned: true }),
        fleetModel("llama-8b", { state: "loading", progress: 0.4 }),
        fleetModel("idle", { state: "unloaded" }),
      ],
    }),
    cpuNode({ models: [fleetModel("tiny", { in_flight: 1 })] }),
    downNode(),
  );
  const rates = new Map([
    ["gpu-a", 41.234],
    ["cpu-b", 1234.5],
  ]);

  it("shows GPU and CPU nodes, loaded models with state and in-flight, tok/s; piped rows are whole", () => {
    expect(formatStatus(fleet, rates, PIPED).split("\n")).toEqual([
      "NODE   HEALTH  BACKEND  GPUS         MEMORY                   TOK/S  MODEL               STATE        IN-FLIGHT  QUEUED  IDLE",
      "gpu-a  up      cuda     2x RTX 4090  13.5 GiB / 48 GiB VRAM    41.2  qwen3-32b (pinned)  loaded               2       3     -",
      "gpu-a  up      cuda     2x RTX 4090  13.5 GiB / 48 GiB VRAM    41.2  llama-8b            loading 40%          0       0     -",
      "cpu-b  up      cpu      -            1.5 GiB / 16 GiB budget   1235  tiny                loaded               1       0     -",
      "gone   down    -        -            -                            -  -",
      "",
      "gone: neuron gone refused the connection",
      "",
    ]);
  });

  it("on a terminal shows a node's cells once, on its first model row", () => {
    const lines = formatStatus(fleet, rates, TTY).split("\n");
    expect(lines[1]).toMatch(/^gpu-a {2}up {6}cuda/);
    expect(lines[2]).toBe(`${" ".repeat(69)}llama-8b            loading 40%          0       0     -`);
    expect(lines[3]).toMatch(/^cpu-b/);
  });

  it("shows '-' for tok/s when the metrics could not be read or a node has none", () => {
    const lines = formatStatus(fleetOf(cpuNode()), undefined, PIPED).split("\n");
    expect(lines).toEqual([
      "NODE   HEALTH  BACKEND  GPUS  MEMORY                   TOK/S  MODEL  STATE  IN-FLIGHT  QUEUED  IDLE",
      "cpu-b  up      cpu      -     1.5 GiB / 16 GiB budget      -  -",
      "",
    ]);
    expect(formatStatus(fleetOf(cpuNode()), new Map([["other", 5]]), PIPED)).toContain("budget      -  -");
  });

  it("colours health and model state on a colour terminal", () => {
    const text = formatStatus(fleetOf(cpuNode({ models: [fleetModel("tiny")] }), downNode()), undefined, {
      tty: true,
      color: true,
    });
    expect(text).toContain("\x1b[32mup\x1b[0m");
    expect(text).toContain("\x1b[31mdown\x1b[0m");
    expect(text).toContain("\x1b[32mloaded\x1b[0m");
  });

  it("says so when no neurons are configured", () => {
    expect(formatStatus(fleetOf(), undefined, PIPED)).toBe("no neurons configured\n");
  });
});

describe("status cells", () => {
  it("groups identical GPUs and lists different ones", () => {
    expect(formatGpus([])).toBe("-");
    expect(formatGpus(gpuNode().gpus)).toBe("2x RTX 4090");
    expect(
      formatGpus([
        { index: 0, name: "RTX 4090", vram_total: GiB, vram_free: GiB },
        { index: 1, name: "RTX 3090", vram_total: GiB, vram_free: GiB },
      ]),
    ).toBe("RTX 4090, RTX 3090");
  });

  it("shows VRAM on GPU nodes, RAM or budget on CPU nodes, '-' when unknown", () => {
    expect(formatMemory(gpuNode())).toBe("13.5 GiB / 48 GiB VRAM");
    expect(formatMemory(cpuNode())).toBe("1.5 GiB / 16 GiB budget");
    expect(
      formatMemory(
        cpuNode({ memory: { total: 8 * GiB, used: 0, free: 8 * GiB, headroom: 0, source: "ram" } }),
      ),
    ).toBe("0 B / 8 GiB RAM");
    expect(formatMemory(downNode())).toBe("-");
  });

  it("adds the progress of loads and conversions", () => {
    expect(formatModelState({ state: "loading", progress: 0.456 })).toBe("loading 46%");
    expect(formatModelState({ state: "converting", progress: 1 })).toBe("converting 100%");
    expect(formatModelState({ state: "loading", progress: null })).toBe("loading");
    expect(formatModelState({ state: "loaded", progress: 1 })).toBe("loaded");
  });
});

describe("formatIdle", () => {
  const now = 1_000_000_000;
  it("shows how long a loaded model has been unused, and its idle_unload unless pinned", () => {
    const loaded = fleetModel("m", { last_used: now - 4 * 60_000 });
    expect(formatIdle(loaded, now)).toBe("4m");
    expect(formatIdle({ ...loaded, idle_unload_ms: 30 * 60_000 }, now)).toBe("4m / 30m");
    expect(formatIdle({ ...loaded, idle_unload_ms: 30 * 60_000, pinned: true }, now)).toBe("4m");
    expect(formatIdle({ ...loaded, in_flight: 1 }, now)).toBe("-");
    expect(formatIdle({ ...loaded, state: "unloaded" }, now)).toBe("-");
  });
});
