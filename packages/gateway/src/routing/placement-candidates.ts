import type { ModelOnNode, NodeSnapshot, FleetSnapshot, PlacementRequest } from "./fleet-snapshot.js";
import { spareMemory } from "./policy-terms.js";

/** A node that may host the requested model, with what the model would need there. */
export interface PlacementCandidate {
  readonly node: NodeSnapshot;
  /** The model's own entry on this node (any state). */
  readonly entry: ModelOnNode;
  /** Bytes the model needs here: the request's figure, else this node's estimate; null if neither. */
  readonly need: number | null;
  /** Bytes free for it now, after the node's and the gateway's headroom. */
  readonly spare: number;
  readonly preferred: boolean;
}

export type PlacementCandidates =
  | { readonly ok: true; readonly candidates: readonly PlacementCandidate[] }
  | { readonly ok: false; readonly reason: string };

/**
 * The live (up or degraded) nodes that list the model and are allowed to host it, or the one-line reason there are none
 * (checked in order so the reason names the first thing an operator would need to fix).
 */
export function placementCandidates(snapshot: FleetSnapshot, request: PlacementRequest): PlacementCandidates {
  const id = request.modelId;
  const listing = snapshot.nodes.flatMap((node) => {
    const entry = node.models.find((model) => model.id === id);
    return entry === undefined ? [] : [{ node, entry }];
  });
  if (listing.length === 0) return { ok: false, reason: `model ${id} is not offered by any node` };

  const allowed = listing.filter(
    ({ node, entry }) =>
      entry.allowed && (request.allowedNodes === undefined || request.allowedNodes.includes(node.name)),
  );
  if (allowed.length === 0) {
    return {
      ok: false,
      reason: `model ${id} is offered only by ${names(listing)}, none of which it may use`,
    };
  }

  const live = allowed.filter(({ node }) => node.state !== "down");
  if (live.length === 0) {
    return { ok: false, reason: `every node that may serve model ${id} is down (${names(allowed)})` };
  }

  const candidates = live.map(({ node, entry }) => ({
    node,
    entry,
    need: request.requiredMemory ?? entry.memoryEstimate,
    spare: spareMemory(node, request.extraHeadroom),
    preferred: request.preferredNodes?.includes(node.name) ?? false,
  }));
  return { ok: true, candidates };
}

function names(found: readonly { node: NodeSnapshot }[]): string {
  return found.map(({ node }) => node.name).join(", ");
}
