import { h, setText, syncChildren } from "./dom.js";
import { formatClock } from "./format.js";

const LIMIT = 50;

/** The "recent decisions" list, newest first; decisions made after the first render are highlighted. */
export function createDecisionList(list, empty) {
  const views = new Map();
  let ready = false;
  return {
    update(decisions) {
      const newest = decisions.slice(-LIMIT).reverse();
      syncChildren(list, views, newest, keyOf, (decision) => createDecision(decision, ready));
      empty.hidden = newest.length > 0;
      ready = true;
    },
  };
}

/** Decisions carry no id; these fields together tell two apart. */
export function keyOf(decision) {
  return [
    decision.at,
    decision.kind,
    decision.model,
    decision.node,
    decision.requestId,
    decision.message,
  ].join("\n");
}

function createDecision(decision, fresh) {
  const time = h("time", { class: "decision-time", datetime: new Date(decision.at).toISOString() });
  const kind = h("span", { class: "kind kind-" + decision.kind });
  const message = h("span", { class: "decision-message" });
  const element = h("li", { class: fresh ? "decision fresh" : "decision" }, time, kind, message);
  return {
    element,
    update(next) {
      element.dataset.kind = next.kind;
      setText(time, formatClock(next.at));
      setText(kind, next.kind.replace("_", " "));
      setText(message, next.message);
    },
  };
}
