import { formatBytes, humanAge } from "@cortex/core";
import type { Fleet, FleetGpu, FleetModel, FleetNode } from "../gateway-types.js";
import { renderTable, type Cell, type Column, type Tone } from "./render-table.js";

export interface StatusOptions {
  /** A terminal: repeated node cells are left blank on a node's further model rows. */
  tty: boolean;
  color: boolean;
  /** Epoch ms, for how long models have been idle (default: the clock). */
  now?: number;
}

const COLUMNS: readonly Column[] = [
  { header: "NODE" },
  { header: "HEALTH" },
  { header: "BACKEND" },
  { header: "GPUS" },
  { header: "MEMORY" },
  { header: "TOK/S", align: "right" },
  { header: "MODEL" },
  { header: "STATE" },
  { header: "IN-FLIGHT", align: "right" },
  { header: "QUEUED", align: "right" },
  { header: "IDLE", align: "right" },
];

const HEALTH_TONE: Readonly<Record<FleetNode["state"], Tone>> = { up: "good", degraded: "warn", down: "bad" };

/**
 * Pure: the fleet as `cortex status` prints it, one row per model that is not unloaded. Piped, every
 * row repeats its node's cells so `grep`/`awk` see whole rows; on a terminal they are shown once.
 * `rates` is tokens per second by node; absent (metrics unreachable) or missing nodes show "-".
 */
export function formatStatus(
  fleet: Fleet,
  rates: ReadonlyMap<string, number> | undefined,
  options: StatusOptions,
): string {
  if (fleet.nodes.length === 0) return "no neurons configured\n";
  const rows: Cell[][] = [];
  for (const node of fleet.nodes) {
    const nodeCells: Cell[] = [
      node.name,
      { text: node.state, tone: HEALTH_TONE[node.state] },
      node.backend ?? "-",
      formatGpus(node.gpus),
      formatMemory(node),
      formatRate(rates?.get(node.name)),
    ];
    const models = node.models.filter((model) => model.state !== "unloaded");
    if (models.length === 0) rows.push([...nodeCells, "-"]);
    models.forEach((model, index) => {
      const cells = index === 0 || !options.tty ? nodeCells : nodeCells.map(() => "");
      rows.push([...cells, ...modelCells(model, options.now ?? Date.now())]);
    });
  }
  const notes = fleet.nodes
    .filter((node) => node.state !== "up" && node.error !== null)
    .map((node) => `${node.name}: ${node.error ?? ""}`);
  const lines = renderTable(COLUMNS, rows, { color: options.color });
  return `${[...lines, ...(notes.length > 0 ? ["", ...notes] : [])].join("\n")}\n`;
}

/** "-" on CPU nodes; "2x RTX 4090" for identical cards, else their names. */
export function formatGpus(gpus: readonly FleetGpu[]): string {
  if (gpus.length === 0) return "-";
  const counts = new Map<string, number>();
  for (const gpu of gpus) counts.set(gpu.name, (counts.get(gpu.name) ?? 0) + 1);
  return [...counts].map(([name, count]) => (count > 1 ? `${count}x ${name}` : name)).join(", ");
}

/** VRAM used/total on GPU nodes; the model memory (RAM or the configured budget) on CPU nodes. */
export function formatMemory(node: FleetNode): string {
  if (node.gpus.length > 0) {
    const total = node.gpus.reduce((sum, gpu) => sum + gpu.vram_total, 0);
    const used = node.gpus.reduce((sum, gpu) => sum + gpu.vram_total - gpu.vram_free, 0);
    return `${formatBytes(used)} / ${formatBytes(total)} VRAM`;
  }
  if (node.memory === null) return "-";
  const kind = node.memory.source === "budget" ? "budget" : node.memory.source === "ram" ? "RAM" : "VRAM";
  return `${formatBytes(node.memory.used)} / ${formatBytes(node.memory.total)} ${kind}`;
}

function modelCells(model: FleetModel, now: number): Cell[] {
  return [
    model.pinned ? `${model.id} (pinned)` : model.id,
    { text: formatModelState(model), tone: stateTone(model.state) },
    String(model.in_flight),
    String(model.queued),
    formatIdle(model, now),
  ];
}

/**
 * How long a loaded model has gone unused, and after how long it is unloaded: "12s", "4m / 30m"; "-"
 * while it is busy or not loaded.
 */
export function formatIdle(
  model: Pick<FleetModel, "state" | "in_flight" | "last_used" | "pinned" | "idle_unload_ms">,
  now: number,
): string {
  if (model.state !== "loaded" || model.in_flight > 0) return "-";
  const idle = model.last_used === null ? "-" : humanAge(now - model.last_used);
  const ttl = model.idle_unload_ms ?? 0;
  return ttl > 0 && !model.pinned ? `${idle} / ${humanAge(ttl)}` : idle;
}

/** "loaded", "loading 40%", "downloading 12%", "failed". */
export function formatModelState(model: Pick<FleetModel, "state" | "progress">): string {
  return model.progress !== null &&
    (model.state === "loading" || model.state === "converting" || model.state === "downloading")
    ? `${model.state} ${Math.round(model.progress * 100)}%`
    : model.state;
}

function stateTone(state: FleetModel["state"]): Tone {
  switch (state) {
    case "loaded":
      return "good";
    case "failed":
      return "bad";
    case "loading":
    case "converting":
    case "unloading":
    case "downloading":
      return "warn";
    case "unloaded":
      return "dim";
    default:
      return state satisfies never;
  }
}

/** "-" when unknown; one decimal under 100 tok/s, whole numbers above. */
function formatRate(tokensPerSecond: number | undefined): string {
  if (tokensPerSecond === undefined || !Number.isFinite(tokensPerSecond)) return "-";
  return tokensPerSecond >= 100 ? String(Math.round(tokensPerSecond)) : tokensPerSecond.toFixed(1);
}
