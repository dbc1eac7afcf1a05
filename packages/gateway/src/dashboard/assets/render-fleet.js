import { h, setText, syncChildren } from "./dom.js";
import { createNodeCard } from "./render-node.js";

/** The node cards and the header's summary numbers. */
export function createFleetView(container, empty, summary) {
  const cards = new Map();
  const stats = {};
  for (const [key, label] of [
    ["nodes", "Nodes up"],
    ["models", "Models loaded"],
    ["loading", "Loading"],
    ["inFlight", "In flight"],
  ]) {
    const value = h("dd", { "data-stat": key }, "–");
    summary.append(h("div", { class: "stat" }, h("dt", {}, label), value));
    stats[key] = value;
  }
  let rates = new Map();
  let now = Date.now();
  const createCard = () => {
    const card = createNodeCard();
    return { element: card.element, update: (node) => card.update(node, rates, now) };
  };
  return {
    update(snapshot) {
      const nodes = snapshot.fleet.nodes;
      rates = new Map(snapshot.rates.map((series) => [series.node + "\n" + series.model, series]));
      now = snapshot.at;
      syncChildren(container, cards, nodes, (node) => node.name, createCard);
      empty.hidden = nodes.length > 0;
      if (nodes.length === 0) setText(empty, "No neurons configured.");
      const models = nodes.flatMap((node) => node.models);
      setText(stats.nodes, nodes.filter((node) => node.state === "up").length + " / " + nodes.length);
      setText(stats.models, models.filter((model) => model.state === "loaded").length);
      setText(
        stats.loading,
        models.filter((model) => model.state === "loading" || model.state === "converting").length,
      );
      setText(
        stats.inFlight,
        models.reduce((total, model) => total + model.in_flight, 0),
      );
    },
  };
}
