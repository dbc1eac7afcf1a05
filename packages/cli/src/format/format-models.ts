import type { CatalogModel } from "../gateway-types.js";
import { renderTable, type Column, type Tone } from "./render-table.js";

const COLUMNS: readonly Column[] = [
  { header: "MODEL" },
  { header: "STATE" },
  { header: "LOADED ON" },
  { header: "CONTEXT", align: "right" },
  { header: "ARCH" },
  { header: "QUANT" },
  { header: "ALIAS OF" },
];

/** Pure: the catalogue as `cortex models` prints it; nodes in LOADED ON are comma-separated, no blanks. */
export function formatModels(models: readonly CatalogModel[], options: { color: boolean }): string {
  if (models.length === 0) return "no models: no available node offers any\n";
  const rows = models.map((model) => [
    model.id,
    { text: model.state, tone: toneOf(model.state) },
    model.loaded_on.length > 0 ? model.loaded_on.join(",") : "-",
    model.context_length === null ? "-" : String(model.context_length),
    model.architecture ?? "-",
    model.quantization ?? "-",
    model.alias_of ?? "-",
  ]);
  return `${renderTable(COLUMNS, rows, options).join("\n")}\n`;
}

function toneOf(state: CatalogModel["state"]): Tone {
  if (state === "loaded") return "good";
  if (state === "failed") return "bad";
  return state === "unloaded" ? "dim" : "warn";
}
