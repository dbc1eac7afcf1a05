import { h, setAttr, setText, syncChildren } from "./dom.js";
import {
  formatAge,
  formatBytes,
  formatPercent,
  formatRate,
  formatSeconds,
  formatSpan,
  latest,
} from "./format.js";
import { createSparkline } from "./sparkline.js";

const MEMORY_LABELS = { vram: "VRAM", ram: "RAM", budget: "Memory budget" };
const KNOWN_STATES = ["loading", "converting", "loaded", "unloading", "failed", "unloaded"];

/** One node's card: state, hardware, memory bars and a row per model. */
export function createNodeCard() {
  const name = h("h3", { class: "node-name" });
  const badge = h("span", { class: "badge" });
  const meta = h("span", { class: "node-meta" });
  const endpoint = h("p", { class: "node-endpoint" });
  const error = h("p", { class: "node-error", role: "status" });
  const memory = createMeter("memory");
  const gpus = h("div", { class: "gpus" });
  const ram = h("p", { class: "node-ram" });
  const rows = h("tbody");
  const table = h(
    "table",
    { class: "models" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Model"),
        h("th", { scope: "col" }, "State"),
        h("th", { scope: "col", class: "num" }, "In flight"),
        h("th", { scope: "col" }, "Decode"),
        h("th", { scope: "col" }, "TTFT"),
      ),
    ),
    rows,
  );
  const noModels = h("p", { class: "empty" }, "No models reported.");
  const element = h(
    "article",
    { class: "card node" },
    h("header", { class: "card-head" }, name, badge, meta),
    endpoint,
    error,
    memory.element,
    gpus,
    ram,
    table,
    noModels,
  );
  const gpuViews = new Map();
  const modelViews = new Map();
  return {
    element,
    /** `rates`: the snapshot's series keyed "node\nmodel"; `now`: the snapshot's clock. */
    update(node, rates, now) {
      setAttr(element, "data-node", node.name);
      setAttr(element, "data-state", node.state);
      setText(name, node.name);
      setText(badge, node.state);
      setAttr(badge, "class", "badge badge-" + node.state);
      setText(meta, describeHardware(node));
      setText(endpoint, node.endpoint + (node.last_seen ? " · seen " + formatAge(node.last_seen, now) : ""));
      setText(error, node.error ?? "");
      error.hidden = !node.error;
      if (node.memory) {
        memory.update(MEMORY_LABELS[node.memory.source] ?? "Memory", node.memory.used, node.memory.total);
      }
      memory.element.hidden = !node.memory;
      syncChildren(gpus, gpuViews, node.gpus, (gpu) => gpu.index, createGpuMeter);
      setText(
        ram,
        node.ram_total
          ? "Host RAM " +
              formatBytes(node.ram_total - (node.ram_free ?? 0)) +
              " / " +
              formatBytes(node.ram_total)
          : "",
      );
      ram.hidden = !node.ram_total;
      const models = [...node.models].sort(compareModels);
      syncChildren(
        rows,
        modelViews,
        models,
        (model) => model.id,
        (model) => createModelRow(node.name, model),
      );
      for (const model of models) modelViews.get(model.id).rates(rates.get(node.name + "\n" + model.id));
      table.hidden = models.length === 0;
      noModels.hidden = models.length > 0;
    },
  };
}

/** Models in memory (or on their way in or out) first, then failed ones, then the rest; by id within. */
function compareModels(a, b) {
  const rank = (model) => (model.state === "unloaded" ? 2 : model.state === "failed" ? 1 : 0);
  return rank(a) - rank(b) || a.id.localeCompare(b.id);
}

function describeHardware(node) {
  const parts = [];
  if (node.backend) parts.push(node.backend.toUpperCase());
  const counts = new Map();
  for (const gpu of node.gpus) counts.set(gpu.name, (counts.get(gpu.name) ?? 0) + 1);
  for (const [gpuName, count] of counts) parts.push((count > 1 ? count + "× " : "") + gpuName);
  if (node.gpus.length === 0 && node.backend) parts.push("no GPU");
  return parts.join(" · ");
}

/** A labelled bar: "VRAM ▓▓▓░░░ 1.2 GiB / 24 GiB". */
function createMeter(kind) {
  const label = h("span", { class: "meter-label" });
  const value = h("span", { class: "meter-value" });
  const fill = h("div", { class: "bar-fill" });
  const bar = h("div", { class: "bar", role: "meter", "aria-valuemin": 0, "aria-valuemax": 100 }, fill);
  const element = h(
    "div",
    { class: "meter meter-" + kind },
    h("div", { class: "meter-head" }, label, value),
    bar,
  );
  return {
    element,
    update(text, used, total) {
      const fraction = total > 0 ? used / total : 0;
      setText(label, text);
      setText(value, formatBytes(used) + " / " + formatBytes(total));
      setAttr(bar, "aria-valuenow", Math.round(fraction * 100));
      setAttr(bar, "aria-label", text + " used");
      setAttr(bar, "title", formatPercent(fraction) + " used");
      setAttr(bar, "data-level", fraction >= 0.9 ? "high" : fraction >= 0.7 ? "mid" : "low");
      fill.style.width = formatPercent(fraction);
    },
  };
}

function createGpuMeter() {
  const meter = createMeter("gpu");
  return {
    element: meter.element,
    update(gpu) {
      meter.update("GPU " + gpu.index + " · " + gpu.name, gpu.vram_total - gpu.vram_free, gpu.vram_total);
    },
  };
}

function createModelRow(nodeName, model) {
  const id = h("span", { class: "model-name" });
  const pin = h("span", { class: "pin", title: "pinned: never evicted" }, "pinned");
  const details = h("span", { class: "model-details" });
  const state = h("span", { class: "state" });
  const progressFill = h("div", { class: "progress-fill" });
  const progress = h("div", { class: "progress" }, progressFill);
  const inFlight = h("span", { class: "in-flight" });
  const queued = h("span", { class: "queued" });
  const decode = createSparkline("decode tokens per second of " + model.id + " on " + nodeName);
  const decodeValue = h("span", { class: "rate-value" });
  const ttft = createSparkline("time to first token of " + model.id + " on " + nodeName);
  const ttftValue = h("span", { class: "rate-value" });
  const element = h(
    "tr",
    { class: "model" },
    h("td", { class: "model-cell" }, h("div", { class: "model-title" }, id, pin), details),
    h("td", { class: "state-cell" }, state, progress),
    h("td", { class: "num" }, inFlight, queued),
    h("td", { class: "rate" }, decode.element, decodeValue),
    h("td", { class: "rate" }, ttft.element, ttftValue),
  );
  return {
    element,
    update(next) {
      const busy = next.state === "loading" || next.state === "converting";
      setAttr(element, "data-model", next.id);
      setAttr(element, "data-state", next.state);
      setText(id, next.id);
      pin.hidden = !next.pinned;
      const facts = [];
      if (next.memory_estimate) facts.push(formatBytes(next.memory_estimate));
      if (next.context_length) facts.push(Math.round(next.context_length / 1024) + "k ctx");
      if (next.state === "loaded" && next.last_used)
        facts.push("used " + formatAge(next.last_used, Date.now()));
      // The idle TTL: a model unused this long is unloaded (pinned ones never are).
      if (next.idle_unload_ms > 0 && !next.pinned)
        facts.push("idle unload " + formatSpan(next.idle_unload_ms));
      if (next.replicas && next.replicas.max > 1)
        facts.push("replicas " + next.replicas.min + "–" + next.replicas.max);
      if (next.waiting > 0) facts.push(next.waiting + " waiting at the gateway");
      setText(details, facts.join(" · "));
      setText(state, next.state + (busy && next.progress !== null ? " " + formatPercent(next.progress) : ""));
      setAttr(state, "class", "state state-" + (KNOWN_STATES.includes(next.state) ? next.state : "unknown"));
      progress.hidden = !busy;
      setAttr(progress, "data-indeterminate", busy && next.progress === null);
      progressFill.style.width = next.progress === null ? "" : formatPercent(next.progress);
      setText(inFlight, next.in_flight);
      setText(queued, next.queued > 0 ? "+" + next.queued + " queued" : "");
      queued.hidden = !(next.queued > 0);
    },
    rates(series) {
      const tokens = series ? series.tokens_per_second : [];
      const firstToken = series ? series.ttft_seconds : [];
      decode.update(tokens);
      ttft.update(firstToken);
      setText(decodeValue, formatRate(latest(tokens)));
      setText(ttftValue, formatSeconds(latest(firstToken)));
    },
  };
}
