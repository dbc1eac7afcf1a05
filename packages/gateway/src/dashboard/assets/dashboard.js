// The fleet dashboard: renders every snapshot the gateway streams, and decisions as they happen.
import { connectEvents, rememberAdminKey, takeAdminKey } from "./connect-events.js";
import { formatClock } from "./format.js";
import { createDecisionList, keyOf } from "./render-decisions.js";
import { createFleetView } from "./render-fleet.js";

const byId = (id) => document.getElementById(id);

const STATUS_TEXT = {
  connecting: "connecting…",
  live: "live",
  reconnecting: "reconnecting…",
  offline: "gateway unreachable, retrying…",
  unauthorized: "admin key required",
};

const fleet = createFleetView(byId("nodes"), byId("nodes-empty"), byId("summary"));
const decisionList = createDecisionList(byId("decisions"), byId("decisions-empty"));
const connection = byId("connection");
const keyForm = byId("key-form");
let decisions = [];
let events;

function setStatus(status) {
  connection.dataset.state = status;
  connection.textContent = STATUS_TEXT[status] ?? status;
  keyForm.hidden = status !== "unauthorized";
  if (status === "unauthorized") byId("key-input").focus();
}

function start(key) {
  events?.close();
  events = connectEvents({
    key,
    onStatus: setStatus,
    onSnapshot(snapshot) {
      decisions = snapshot.decisions;
      fleet.update(snapshot);
      decisionList.update(decisions);
      connection.title = "last update " + formatClock(snapshot.at);
    },
    onDecision(decision) {
      const key = keyOf(decision);
      if (!decisions.some((known) => keyOf(known) === key)) decisions = [...decisions, decision];
      decisionList.update(decisions);
    },
  });
}

keyForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const key = byId("key-input").value.trim();
  rememberAdminKey(key);
  start(key);
});

start(takeAdminKey());
