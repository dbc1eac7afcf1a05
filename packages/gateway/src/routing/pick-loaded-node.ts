import { compareNumbers, compareText } from "./policy-terms.js";
import type { FleetSnapshot } from "./fleet-snapshot.js";

/**
 * The node to route a request for `modelId` to, among nodes where it is loaded: up before degraded,
 * then least busy (in flight + queued), then preferred, then name. Null when it is loaded nowhere usable.
 */
export function pickLoadedNode(
  snapshot: FleetSnapshot,
  modelId: string,
  allowedNodes?: readonly string[],
  preferredNodes?: readonly string[],
): string | null {
  const hosts = snapshot.nodes.flatMap((node) => {
    if (node.state === "down") return [];
    if (allowedNodes !== undefined && !allowedNodes.includes(node.name)) return [];
    const entry = node.models.find((m) => m.id === modelId && m.state === "loaded" && m.allowed);
    if (entry === undefined) return [];
    return [
      {
        name: node.name,
        health: node.state === "up" ? 0 : 1,
        busy: entry.inFlight,
        preferred: preferredNodes?.includes(node.name) ?? false,
      },
    ];
  });
  hosts.sort(
    (a, b) =>
      compareNumbers(a.health, b.health) ||
      compareNumbers(a.busy, b.busy) ||
      compareNumbers(Number(b.preferred), Number(a.preferred)) ||
      compareText(a.name, b.name),
  );
  return hosts[0]?.name ?? null;
}
