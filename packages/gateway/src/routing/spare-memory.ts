import type { NodeSnapshot } from "./fleet-snapshot.js";

/**
 * Bytes a new load may take on the node now. Unloading models still count as used on the node, so their
 * memory is not here until the node reports it freed.
 */
export function spareMemory(node: NodeSnapshot, extraHeadroom: number): number {
  return node.memory.free - node.memory.headroom - extraHeadroom;
}
